"""`genav eval sync`: the weight-free sync measure (lag of motion changes vs sound onsets).

Heavy modules (numpy, OpenCV, librosa) are imported inside the command, so ``genav --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

_COLUMNS = ["name", "offset_s", "score", "confidence", "fps", "frames", "error"]


def register(app: typer.Typer) -> None:
    app.command("sync")(sync_command)


def sync_command(
    paths: list[Path] = typer.Argument(
        ...,
        help="Videos (own audio track), folders of <stem>.mp4 + optional <stem>.wav, or manifests "
        "(.jsonl/.csv with a 'file' column, optional 'audio').",
    ),  # fmt: skip
    max_lag: float = typer.Option(2.0, "--max-lag", min=0.05, help="Largest offset searched, seconds."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON report here."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write one CSV row per clip here."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a PNG per clip (curves, lags) into this folder."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Processes (default: all cores)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing --json/--csv outputs."),
    synchformer: Path | None = typer.Option(
        None, "--synchformer", help="Use Synchformer (synchformer_state_dict.pth) instead: a learned offset per "
        "clip from its first and last 4.8 s (av-benchmark's DeSync windows)."),
    device: str = typer.Option("cpu", "--device", help="--synchformer: where it runs (cpu, cuda)."),
) -> None:
    """Sync without weights: per clip the audio offset (s, audio late > 0) and a score (higher = in sync).

    The offset is the lag that best correlates the video's motion changes (optical flow) with the
    audio's onset strength within +-max-lag; the score is the zero-lag correlation as a z-score
    over all lags. With --synchformer, Synchformer's learned offsets instead (first 8 s of each clip,
    at least 4.8 s). Exits with code 1 when any clip failed.
    """
    from genav.cli.common import echo_table, exit_on_failed_clips
    from genav.eval.detectors.sync_measure import SyncSettings
    from genav.eval.runners.report import save_report, summary_rows
    from genav.eval.runners.sync_dataset import evaluate_sync
    from genav.media.atomic import check_output_path

    settings = SyncSettings(max_lag_s=max_lag).check()
    for out in (json_out, csv_out):
        if out is not None:
            check_output_path(out, overwrite=overwrite)
    if synchformer is not None:
        _learned(paths, synchformer, device, json_out, csv_out)
        return
    report = evaluate_sync(paths, workers=workers, plot_dir=plot, settings=settings)
    save_report(report, json_path=json_out, csv_path=csv_out)
    echo_table(summary_rows(report), _COLUMNS)
    typer.echo("")
    mean, desync = report["mean"], report["mean_abs_offset_s"]
    typer.echo(
        f"sync: mean score {'undefined' if mean is None else f'{mean:.3f}'}, mean |offset| "
        f"{'undefined' if desync is None else f'{desync:.3f} s'} over {report['n_scored']} of {report['n_clips']} clips"
    )
    if report["n_undefined"]:
        typer.echo(f"{report['n_undefined']} undefined (no motion change or no sound change): " + ", ".join(report["undefined"]))
    if report["n_failed"]:
        typer.echo(f"{report['n_failed']} failed (left out of the means): " + ", ".join(report["failed"]))
    exit_on_failed_clips(report)


def _learned(paths: list[Path], checkpoint: Path, device: str, json_out: Path | None, csv_out: Path | None) -> None:
    from genav.cli.common import echo_table, exit_on_failed_clips
    from genav.eval.classifiers.synchformer import load_synchformer
    from genav.eval.runners.desync import learned_sync
    from genav.eval.runners.report import save_report

    report = learned_sync(paths, load_synchformer(checkpoint, device=device))
    save_report(report, json_path=json_out, csv_path=csv_out)
    echo_table(report["clips"], ["name", "offset_s", "offsets_s", "desync_s", "error"])
    desync = report["mean_abs_offset_s"]
    typer.echo(f"\nSynchformer: mean |offset| (DeSync) {'undefined' if desync is None else f'{desync:.3f} s'} "
               f"over {report['n_clips'] - report['n_failed']} of {report['n_clips']} clips")  # fmt: skip
    exit_on_failed_clips(report)
