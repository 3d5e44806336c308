"""`genav eval t2a / v2a / distractors`: judge a generator (words, sync, robustness) with the genav tagger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from genav.cli.common import SYNC_PHASES, WINDOW, emit_json

SFX2_MANIFEST = Path("../shared/data/sfx2/manifest.jsonl")  # relative to the working folder, as in the README

MODEL = typer.Option("genav-foley-tiny", "--model", "-m", help="Model name (genav models list) or folder.")
OUT = typer.Option(
    None, "--out", "-o", help="Folder for report.json + report.md (default: print the markdown)."
)
STEPS = typer.Option(25, "--steps", "--num-steps", help="Solver steps.")
CFG = typer.Option(4.5, "--cfg", "--guidance-scale", help="Classifier-free guidance scale.")
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


def check_out(out: Path | None, overwrite: bool) -> None:
    """Refuse, before any work, to replace an existing report without ``--overwrite``."""
    from genav.errors import OutputExistsError

    if out is not None and (out / "report.json").exists() and not overwrite:
        raise OutputExistsError(out / "report.json")


def write_report(
    report: dict[str, Any], markdown: str, out: Path | None, *, as_json: bool, overwrite: bool
) -> None:
    """Print the report (markdown or JSON), or write ``out/report.json`` + ``out/report.md`` atomically."""
    from genav.atomic import atomic_write_text

    if out is None:
        emit_json(report) if as_json else typer.echo(markdown, nl=False)
        return
    check_out(out, overwrite)
    target = out / "report.json"
    out.mkdir(parents=True, exist_ok=True)
    emit_json(report, target)
    atomic_write_text(out / "report.md", markdown, overwrite=True)
    typer.echo(markdown, nl=False)
    typer.echo(f"wrote {target} and {out / 'report.md'}", err=True)


def t2a_command(
    model: str = MODEL,
    manifest: Path = typer.Option(SFX2_MANIFEST, "--manifest", help="Labelled manifest (sfx2)."),
    split: str = typer.Option("test", "--split", help="Rows to evaluate (never trained on)."),
    durations: str = typer.Option("2,4,8", "--durations", help="Seconds to generate, comma-separated."),
    n: int = typer.Option(None, "--n", min=1, help="At most this many clips, spread over the labels (default: all)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Prompts generated together."),
    classifier: str = typer.Option(None, "--classifier", help="Judge: genav-tagger (default) or a tagger folder."),
    keep_audio: bool = typer.Option(False, "--keep-audio", help="Keep the generated wavs in OUT/audio."),
    window: float = WINDOW,
    rejudge: Path = typer.Option(None, "--rejudge", help="Judge the wavs a --keep-audio run kept (its OUT/audio) "
                                 "instead of generating; model, durations, clips and settings are that run's."),
    steps: int = STEPS, cfg: float = CFG, seed: int = SEED, threads: int = THREADS,
    out: Path = OUT, as_json: bool = AS_JSON, overwrite: bool = OVERWRITE,
) -> None:  # fmt: skip
    """Text-to-audio from held-out captions of sfx2 test: tagger top-1/top-3, label KLD, per-label table,
    with the real test clips as the ceiling."""
    import torch

    from genav.errors import InputError
    from genav.pipelines.eval_t2a import eval_t2a, rejudge_t2a, t2a_markdown

    if keep_audio and out is None:
        raise InputError("--keep-audio needs --out")
    if keep_audio and rejudge is not None:
        raise InputError("--rejudge judges kept wavs again; it generates none to keep (drop --keep-audio)")
    check_out(out, overwrite)
    torch.set_num_threads(threads)
    if rejudge is not None:
        report = rejudge_t2a(rejudge, manifest=manifest, split=split, classifier=classifier)
    else:
        report = eval_t2a(
            model, manifest=manifest, split=split, durations=_floats(durations, "--durations"), n=n,
            num_steps=steps, guidance_scale=cfg, seed=seed, batch=batch, classifier=classifier,
            audio_dir=out / "audio" if keep_audio else None, window=window,
        )  # fmt: skip
    write_report(report, t2a_markdown(report), out, as_json=as_json, overwrite=overwrite)




def v2a_command(
    model: str = MODEL,
    n: int = typer.Option(100, "--n", min=2, help="Test clips per frame rate (64x64)."),
    fps: str = typer.Option("10,25", "--fps", help="Frame rates of the test clips, comma-separated."),
    protocol: str = typer.Option("reference", "--protocol", help="AV-Align protocol: reference|genav."),
    no_caption: bool = typer.Option(False, "--no-caption", help="Video only: no prompt."),
    prompt_swap: bool = typer.Option(False, "--prompt-swap", help="Prompt each clip with another event type's caption."),
    sfx2_prompts: bool = typer.Option(
        False, "--sfx2-prompts", help="Prompt each clip with a held-out caption of a real recording (sfx2 test); "
        "the tagger must hear that label among the 62.",
    ),
    sound_model: str = typer.Option(
        None, "--sound-model", help="Place this text-to-audio model's sound at the model's onsets (as genav foley "
        "--sound-model).",
    ),
    manifest: Path = typer.Option(SFX2_MANIFEST, "--manifest", help="The sfx2 manifest of --sfx2-prompts."),
    classifier: str = typer.Option(None, "--classifier", help="Judge of --prompt-swap / --sfx2-prompts (default genav-tagger)."),
    sync_phases: int = SYNC_PHASES,
    text_cfg: float = typer.Option(
        None, "--text-cfg", min=0.0, help="Guidance scale of what the prompt adds (default: the model's, else --cfg); the video's stays --cfg."
    ),
    seconds: float = typer.Option(4.0, "--seconds", min=0.5, max=60.0, help="Length of each test clip."),
    window: float = WINDOW,
    steps: int = STEPS, cfg: float = CFG, seed: int = SEED, threads: int = THREADS,
    out: Path = OUT, as_json: bool = AS_JSON, overwrite: bool = OVERWRITE,
) -> None:  # fmt: skip
    """Video-to-audio on unseen synthetic clips: AV-Align and onset F1 of generated vs true vs shuffled
    sound; with --prompt-swap / --sfx2-prompts, whether the tagger hears the prompted sound while the
    onsets hold."""
    import torch

    from genav.errors import InputError
    from genav.pipelines.eval_v2a import eval_v2a, v2a_markdown

    if no_caption + prompt_swap + sfx2_prompts > 1:
        raise InputError("--no-caption, --prompt-swap and --sfx2-prompts exclude each other")
    check_out(out, overwrite)
    torch.set_num_threads(threads)
    rates = tuple(int(f) for f in _floats(fps, "--fps"))
    mode = "swap" if prompt_swap else "sfx2" if sfx2_prompts else ("none" if no_caption else "caption")
    report = eval_v2a(model, n=n, fps=rates, seed=seed, num_steps=steps, guidance_scale=cfg, protocol=protocol, prompt=mode,
                      classifier=classifier, sync_phases=sync_phases, text_guidance_scale=text_cfg, seconds=seconds,
                      window=window, sound_model=sound_model, manifest=manifest)  # fmt: skip
    write_report(report, v2a_markdown(report), out, as_json=as_json, overwrite=overwrite)


def distractors_command(
    model: str = MODEL,
    n_synth: int = typer.Option(10, "--n", min=0, help="Silent synthetic-world clips (besides the 10 ffmpeg clips)."),
    seconds: float = typer.Option(8.0, "--seconds", min=1.0, help="Length of each clip."),
    fps: int = typer.Option(25, "--fps", min=8, max=30, help="Frame rate of the clips."),
    prompt: str = typer.Option(None, "--prompt", "-p", help="Optional prompt for every clip."),
    steps: int = STEPS, cfg: float = CFG, seed: int = SEED, threads: int = THREADS,
    out: Path = OUT, as_json: bool = AS_JSON, overwrite: bool = OVERWRITE,
) -> None:  # fmt: skip
    """Clips with cuts, pans, shakes, flicker and compression noise but no impacts: onsets per 10 s of
    the generated sound (should be ~0) and its peak before the output gain."""
    import torch

    from genav.pipelines.eval_distractors import distractors_markdown, eval_distractors

    check_out(out, overwrite)
    torch.set_num_threads(threads)
    report = eval_distractors(model, n_synth=n_synth, seconds=seconds, fps=fps, seed=seed, num_steps=steps,
                              guidance_scale=cfg, prompt=prompt)  # fmt: skip
    write_report(report, distractors_markdown(report), out, as_json=as_json, overwrite=overwrite)


def codec_command(
    codecs: list[str] = typer.Argument(None, help="Codecs to compare: 'mel' (Griffin-Lim) and/or codec folders."),
    manifest: Path = typer.Option(SFX2_MANIFEST, "--manifest", help="Audio to round-trip."),
    split: str = typer.Option("test", "--split", help="Rows of this split."),
    n: int = typer.Option(40, "--n", min=1, help="At most this many clips, spread over the labels."),
    plots: Path = typer.Option(None, "--plots", help="Folder for spectrogram sheets (original vs each codec)."),
    threads: int = THREADS, out: Path = OUT, as_json: bool = AS_JSON, overwrite: bool = OVERWRITE,
) -> None:  # fmt: skip
    """Round-trip audio through codecs: spectral convergence, log-spectral distance, peaks, decode speed."""
    import torch

    from genav.pipelines.eval_t2a import codec_markdown, eval_codecs

    check_out(out, overwrite)
    torch.set_num_threads(threads)
    report = eval_codecs(codecs or ["mel"], manifest=manifest, split=split, n=n, plots=plots)
    write_report(report, codec_markdown(report), out, as_json=as_json, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    app.command("t2a")(t2a_command)
    app.command("v2a")(v2a_command)
    app.command("distractors")(distractors_command)
    app.command("codec")(codec_command)
