"""`genav eval all --av-benchmark`: the av-benchmark metric set from local checkpoints."""

from __future__ import annotations

from pathlib import Path

import typer


def run_av_benchmark(
    ref: Path, gen: Path, *, cnn14: Path | None, passt: Path | None, vggish: Path | None, clap: Path | None,
    synchformer: Path | None, captions: Path | None, workers: int, device: str, json_out: Path | None,
    csv_out: Path | None,
) -> None:  # fmt: skip
    """Compute what the given checkpoints allow, print one row per metric (skipped ones say why)."""
    from genav.cli.common import echo_table
    from genav.eval.runners.av_benchmark import evaluate_av_benchmark
    from genav.eval.runners.report import save_report

    report = evaluate_av_benchmark(ref, gen, cnn14=cnn14, passt=passt, vggish=vggish, clap=clap,
                                   synchformer=synchformer, captions=captions, workers=workers, device=device)  # fmt: skip
    save_report(report, json_path=json_out, csv_path=csv_out)
    echo_table([{k: r[k] for k in ("name", "score", "n", "extractor", "comparable_to_published", "error")}
                for r in report["items"]], ["name", "score", "n", "extractor", "comparable_to_published", "error"])  # fmt: skip
    typer.echo("")
    for row in report["items"]:
        if row["skipped"]:
            typer.echo(f"skipped {row['name']}: {row['skipped']}")
    failed = [r for r in report["items"] if r["error"]]
    if failed:
        typer.echo("genav: error: " + "; ".join(f"{r['name']}: {r['error']}" for r in failed), err=True)
        raise typer.Exit(code=1)
