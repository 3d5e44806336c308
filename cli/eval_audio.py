"""`genav eval kld|fad|is|all`: the classifier metrics over folders of audio (or videos).

Heavy modules (torch, the classifiers) are imported inside the commands so ``genav --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

_CLASSIFIER_HELP = (
    "genav-tagger (default; offline, not comparable with published tables), a path to an official "
    "PANNs CNN14 .pth (16 or 32 kHz, detected), or a model folder."
)


def register(app: typer.Typer) -> None:
    app.command("kld")(kld_command)
    app.command("fad")(fad_command)
    app.command("is")(is_command)
    app.command("all")(all_command)


def _check_outputs(*paths: Path | None, overwrite: bool) -> None:
    from genav.media.atomic import check_output_path

    for path in paths:
        if path is not None:
            check_output_path(path, overwrite=overwrite)


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _finish(report: dict[str, Any], json_out: Path | None, csv_out: Path | None) -> None:
    """Write the outputs, list the problems, exit 1 when any item failed or was unpaired."""
    from genav.eval.runners.report import save_report

    save_report(report, json_path=json_out, csv_path=csv_out)
    if report.get("note"):
        typer.echo(f"note: {report['note']}")
    bad = [r for r in report.get("items", []) if r.get("error")]
    for sub in (report.get(k) for k in ("kld", "fad", "is", "av_align")):  # `all`: name the items too
        problems = [r for r in (sub or {}).get("items", []) + (sub or {}).get("clips", []) if r.get("error")]
        if problems:
            typer.echo(f"{sub['metric']}: " + "; ".join(f"{r['name']}: {r['error']}" for r in problems))
    if bad:
        typer.echo(f"{len(bad)} item(s) with problems: " + "; ".join(f"{r['name']}: {r['error']}" for r in bad))
    if bad or report.get("value_error"):
        why = report.get("value_error") or f"{len(bad)} item(s) failed, unpaired or not computable"
        typer.echo(f"genav: error: {why}", err=True)
        raise typer.Exit(code=1)


def kld_command(
    ref: Path = typer.Option(..., "--ref", help="Folder of reference audio (or videos)."),
    gen: Path = typer.Option(..., "--gen", help="Folder of generated audio (or videos); paired by file stem."),
    variant: str = typer.Option(
        "panns16k-softmax",
        "--variant",
        help="panns16k-softmax | passt-softmax | panns-softmax-eps | passt-softmax-eps-seg10.",
    ),
    classifier: str = typer.Option("genav-tagger", "--classifier", help=_CLASSIFIER_HELP),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON report here."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write one CSV row per item here."),
    workers: int = typer.Option(2, "--workers", min=1, help="Threads for decoding and resampling."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing --json/--csv outputs."),
) -> None:
    """KLD: KL(reference || generated) of classifier outputs, per pair and on average."""
    from genav.cli.common import echo_table
    from genav.eval.runners.audio_metrics import evaluate_kld
    from genav.eval.runners.kld_variants import get_variant
    from genav.eval.runners.report import summary_rows

    get_variant(variant)  # fail before any work
    _check_outputs(json_out, csv_out, overwrite=overwrite)
    report = evaluate_kld(ref, gen, variant=variant, classifier=classifier, workers=workers)
    rows = summary_rows(report)
    for row in rows:  # summary_rows calls every missing score "failed"; say which ones are unpaired
        if str(row.get("error") or "").startswith("unpaired"):
            row["score"] = "unpaired"
    echo_table(rows, ["name", "score", "n_segments", "error"])
    typer.echo("")
    typer.echo(
        f"KLD ({report['variant']}, {report['classifier']} at {report['sample_rate']} Hz, comparable to "
        f"published: {str(report['comparable_to_published']).lower()}): mean {_fmt(report['mean'])} over "
        f"{report['n_pairs']} pairs; {report['n_unpaired']} unpaired, {report['n_failed']} failed"
    )
    _finish(report, json_out, csv_out)


def fad_command(
    ref: Path = typer.Option(..., "--ref", help="Folder of reference audio (or videos)."),
    gen: Path = typer.Option(..., "--gen", help="Folder of generated audio (or videos)."),
    classifier: str = typer.Option("genav-tagger", "--classifier", help=_CLASSIFIER_HELP),
    duration: float | None = typer.Option(None, "--duration", min=0.01, help="Cut clips to this many seconds."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON report here."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write one CSV row per item here."),
    workers: int = typer.Option(2, "--workers", min=1, help="Threads for decoding and resampling."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing --json/--csv outputs."),
) -> None:
    """FD/FAD: Fréchet distance between the classifier embeddings of two folders."""
    from genav.cli.common import echo_table
    from genav.eval.runners.audio_metrics import evaluate_fad

    _check_outputs(json_out, csv_out, overwrite=overwrite)
    report = evaluate_fad(ref, gen, classifier=classifier, duration=duration, workers=workers)
    echo_table([_fad_row(report)], ["metric", "value", "n_ref", "n_gen", "classifier"])
    _finish(report, json_out, csv_out)


def is_command(
    folder: Path = typer.Argument(..., help="Folder of generated audio (or videos)."),
    classifier: str = typer.Option("genav-tagger", "--classifier", help=_CLASSIFIER_HELP),
    splits: int = typer.Option(10, "--splits", min=1, help="Splits (the reference uses 10)."),
    duration: float | None = typer.Option(None, "--duration", min=0.01, help="Cut clips to this many seconds."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON report here."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write one CSV row per item here."),
    workers: int = typer.Option(2, "--workers", min=1, help="Threads for decoding and resampling."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing --json/--csv outputs."),
) -> None:
    """IS: Inception Score of a folder's classifier outputs (mean and std over splits)."""
    from genav.cli.common import echo_table
    from genav.eval.runners.audio_metrics import evaluate_is

    _check_outputs(json_out, csv_out, overwrite=overwrite)
    report = evaluate_is(folder, classifier=classifier, splits=splits, duration=duration, workers=workers)
    echo_table([_is_row(report)], ["metric", "value", "std", "n_items", "classifier"])
    _finish(report, json_out, csv_out)


def _fad_row(report: dict[str, Any]) -> dict[str, Any]:
    return {"metric": "FD", "value": report["value"], "n_ref": report["n_ref"], "n_gen": report["n_gen"],
            "classifier": report["classifier"]}  # fmt: skip


def _is_row(report: dict[str, Any]) -> dict[str, Any]:
    return {"metric": "IS", "value": report["mean"], "std": report["std"], "n_items": report["n_items"],
            "classifier": report["classifier"]}  # fmt: skip


def all_command(
    ref: Path = typer.Option(..., "--ref", help="Folder of reference audio (or videos)."),
    gen: Path = typer.Option(..., "--gen", help="Folder of generated audio or videos (mp4s also get AV-Align)."),
    variant: str = typer.Option("panns16k-softmax", "--variant", help="KLD variant."),
    classifier: str = typer.Option("genav-tagger", "--classifier", help=_CLASSIFIER_HELP),
    protocol: str = typer.Option("reference", "--protocol", help="AV-Align protocol: reference | genav."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON report here."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write one CSV row per metric here."),
    workers: int = typer.Option(2, "--workers", min=1, help="Threads (classifier metrics) and processes (AV-Align)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing --json/--csv outputs."),
    av_benchmark: bool = typer.Option(
        False, "--av-benchmark", help="The av-benchmark set instead (KL/FD/ISc PANNs+PaSST, FD_VGG, CLAP; "
        "DeSync; IB listed as unavailable) from the checkpoints given below; the others are skipped."),
    cnn14: Path | None = typer.Option(None, "--cnn14", help="--av-benchmark: official CNN14 16 kHz .pth."),
    passt: Path | None = typer.Option(None, "--passt", help="--av-benchmark: official PaSST-S .pt."),
    vggish: Path | None = typer.Option(None, "--vggish", help="--av-benchmark: VGGish .pth (torch port layout)."),
    clap: Path | None = typer.Option(None, "--clap", help="--av-benchmark: transformers CLAP folder."),
    synchformer: Path | None = typer.Option(
        None, "--synchformer", help="--av-benchmark: Synchformer's synchformer_state_dict.pth (DeSync)."),
    device: str = typer.Option("cpu", "--device", help="--av-benchmark: where Synchformer runs (cpu, cuda)."),
    captions: Path | None = typer.Option(None, "--captions", help="--av-benchmark: captions .jsonl (name, caption)."),
) -> None:
    """KLD, FAD and IS of a generated folder against a reference folder, plus AV-Align of generated videos."""
    from genav.cli.common import echo_table
    from genav.eval.runners.audio_metrics import evaluate_all
    from genav.eval.runners.kld_variants import get_variant

    get_variant(variant)
    _check_outputs(json_out, csv_out, overwrite=overwrite)
    if av_benchmark:
        from genav.cli.eval_av_benchmark import run_av_benchmark

        run_av_benchmark(ref, gen, cnn14=cnn14, passt=passt, vggish=vggish, clap=clap, synchformer=synchformer,
                         captions=captions, workers=workers, device=device, json_out=json_out,
                         csv_out=csv_out)  # fmt: skip
        return
    report = evaluate_all(ref, gen, variant=variant, classifier=classifier, protocol=protocol, workers=workers)
    echo_table(report["items"], ["name", "score", "std", "n", "classifier", "comparable_to_published", "error"])
    _finish(report, json_out, csv_out)
