"""`genav eval av-align`: AV-Align of videos, folders of mp4 (+ wav) or manifests.

Heavy modules (numpy, OpenCV, librosa) are imported inside the command, so ``genav --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

_COLUMNS = ["name", "score", "n_audio_peaks", "n_video_peaks", "n_matched", "fps", "frames", "error"]


def register(app: typer.Typer) -> None:
    app.command("av-align")(av_align_command)


def av_align_command(
    paths: list[Path] = typer.Argument(
        ...,
        help="Videos (own audio track), folders of <stem>.mp4 + optional <stem>.wav, or manifests "
        "(.jsonl/.csv with a 'file' column, optional 'audio').",
    ),  # fmt: skip
    protocol: str = typer.Option(
        "reference", "--protocol", help="reference (as TempoTokens' av_align.py) or genav (repaired)."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON report here."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write one CSV row per clip here."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a PNG per clip into this folder."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Processes (default: all cores)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing --json/--csv outputs."),
) -> None:
    """AV-Align: agreement of audio onsets with optical-flow peaks, per clip and on average.

    Exits with code 1 when any clip failed; undefined clips (no onsets and no motion peaks) are
    listed and left out of the mean, but are not failures.
    """
    from genav.cli.common import echo_table, exit_on_failed_clips
    from genav.eval.detectors.av_align_clip import check_protocol
    from genav.eval.runners.av_align_dataset import evaluate_av_align
    from genav.eval.runners.report import save_report, summary_rows
    from genav.media.atomic import check_output_path

    check_protocol(protocol)  # fail before any work
    for out in (json_out, csv_out):
        if out is not None:
            check_output_path(out, overwrite=overwrite)
    report = evaluate_av_align(paths, protocol=protocol, workers=workers, plot_dir=plot)
    save_report(report, json_path=json_out, csv_path=csv_out)
    echo_table(summary_rows(report), _COLUMNS)
    mean = report["mean"]
    typer.echo("")
    typer.echo(
        f"AV-Align ({protocol}): mean {'undefined' if mean is None else f'{mean:.4f}'} over "
        f"{report['n_scored']} of {report['n_clips']} clips"
    )
    for note in report.get("timing_notes", []):
        typer.echo(f"note: {note}")
    if report["n_undefined"]:
        typer.echo(
            f"{report['n_undefined']} undefined (no audio onsets and no video peaks; left out of the mean): "
            + ", ".join(report["undefined"])
        )
    if report["n_failed"]:
        typer.echo(f"{report['n_failed']} failed (left out of the mean): " + ", ".join(report["failed"]))
    exit_on_failed_clips(report)
