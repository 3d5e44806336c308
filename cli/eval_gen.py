"""`genav eval t2a / v2a / distractors`: judge a generator (words, sync, robustness) with the genav tagger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from genav.cli.common import emit_json

MODEL = typer.Option("genav-foley-tiny", "--model", "-m", help="Model name (genav models list) or folder.")
OUT = typer.Option(
    None, "--out", "-o", help="Folder for report.json + report.md (default: print the markdown)."
)
STEPS = typer.Option(25, "--steps", help="Solver steps.")
CFG = typer.Option(4.5, "--cfg", help="Classifier-free guidance scale.")
SEED = typer.Option(0, "--seed", help="Seed of the first item (item i uses seed + i).")
THREADS = typer.Option(
    1, "--threads", min=1, help="Torch CPU threads (1 is fastest on a shared 2-core machine)."
)
AS_JSON = typer.Option(False, "--json", help="Print the JSON report instead of the markdown.")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace an existing report.")


def _floats(text: str, what: str) -> tuple[float, ...]:
    from genav.errors import InputError

    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InputError(f"{what} must be comma-separated numbers, got {text!r}") from None
    if not values:
        raise InputError(f"{what} is empty")
    return values


def write_report(
    report: dict[str, Any], markdown: str, out: Path | None, *, as_json: bool, overwrite: bool
) -> None:
    """Print the report (markdown or JSON), or write ``out/report.json`` + ``out/report.md`` atomically."""
    from genav.atomic import atomic_write_text
    from genav.errors import OutputExistsError

    if out is None:
        emit_json(report) if as_json else typer.echo(markdown, nl=False)
        return
    target = out / "report.json"
    if target.exists() and not overwrite:
        raise OutputExistsError(target)
    out.mkdir(parents=True, exist_ok=True)
    emit_json(report, target)
    atomic_write_text(out / "report.md", markdown, overwrite=True)
    typer.echo(markdown, nl=False)
    typer.echo(f"wrote {target} and {out / 'report.md'}", err=True)


def t2a_command(
    model: str = MODEL,
    manifest: Path = typer.Option(Path("../shared/data/sfx2/manifest.jsonl"), "--manifest", help="Labelled manifest (sfx2)."),
    split: str = typer.Option("test", "--split", help="Rows to evaluate (never trained on)."),
    durations: str = typer.Option("2,4,8", "--durations", help="Seconds to generate, comma-separated."),
    n: int = typer.Option(None, "--n", min=1, help="At most this many clips, spread over the labels (default: all)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Prompts generated together."),
    classifier: str = typer.Option(None, "--classifier", help="Judge: genav-tagger (default) or a tagger folder."),
    keep_audio: bool = typer.Option(False, "--keep-audio", help="Keep the generated wavs in OUT/audio."),
    steps: int = STEPS, cfg: float = CFG, seed: int = SEED, threads: int = THREADS,
    out: Path = OUT, as_json: bool = AS_JSON, overwrite: bool = OVERWRITE,
) -> None:  # fmt: skip
    """Text-to-audio from held-out captions of sfx2 test: tagger top-1/top-3, label KLD, per-label table,
    with the real test clips as the ceiling."""
    import torch

    from genav.errors import InputError
    from genav.pipelines.eval_t2a import eval_t2a, t2a_markdown

    if keep_audio and out is None:
        raise InputError("--keep-audio needs --out")
    torch.set_num_threads(threads)
    report = eval_t2a(
        model, manifest=manifest, split=split, durations=_floats(durations, "--durations"), n=n, steps=steps,
        cfg=cfg, seed=seed, batch=batch, classifier=classifier, audio_dir=out / "audio" if keep_audio else None,
    )  # fmt: skip
    write_report(report, t2a_markdown(report), out, as_json=as_json, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    app.command("t2a")(t2a_command)
