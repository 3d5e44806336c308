"""`genav t2a`, `genav v2a` (alias `genav foley`): generation from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from genav.cli.batch import Job, expand_prompt_inputs, expand_video_inputs, is_manifest, run_batch

MODEL = typer.Option("auto", "--model", "-m", help="Model name (genav models list) or folder; auto = the embedded default.")
STEPS = typer.Option(25, "--steps", help="Solver steps.")
CFG = typer.Option(4.5, "--cfg", help="Classifier-free guidance scale.")
SEED = typer.Option(None, "--seed", help="Seed (a manifest row's seed wins; rows without one get seed + row).")
DEVICE = typer.Option("auto", "--device", help="auto|cpu|cuda|mps")
DTYPE = typer.Option("auto", "--dtype", help="auto|float32|float16|bfloat16")
NUM_OUTPUTS = typer.Option(1, "--num-outputs", "-n", min=1, help="Outputs per input (seed, seed+1, ...).")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace existing outputs.")
NEGATIVE = typer.Option(None, "--negative-prompt", help="What the sound should not be.")
METHOD = typer.Option("euler", "--method", help="euler|heun|midpoint")
DEFAULT_FOLEY_MODEL = "genav-foley-tiny"


def _model_name(name: str, family: str = "foley", default: str = DEFAULT_FOLEY_MODEL) -> str:
    """``auto`` -> the embedded default of ``family``, or its ``debug-*`` model (with a warning)."""
    if name != "auto":
        return name
    from genav.pipelines import list_models

    known = {e.name for e in list_models(family=family)}
    if default in known:
        return default
    fallback = f"debug-{family}"
    typer.echo(
        f"genav: warning: the embedded default {default} is not installed; using {fallback} "
        "(tiny, random weights: the output is noise, the pipeline is real)",
        err=True,
    )
    return fallback


def _outputs(job: Job, n: int) -> list[Path]:
    if n == 1:
        return [job.output]
    return [job.output.with_name(f"{job.output.stem}-{k}{job.output.suffix}") for k in range(n)]


def save_outputs(out: Any, job: Job, n: int) -> dict[str, Any]:
    """Write the ``n`` outputs of a pipeline result (``.save(path, index=k)``) for ``job``; returns
    the sidecar data (the result's metadata, the output paths and seeds)."""
    paths = _outputs(job, n)
    for k, path in enumerate(paths):
        out.save(path, index=k, overwrite=True)
    return {**out.metadata, "outputs": [str(p) for p in paths], "seeds": out.seeds}


def _settings(**kwargs: Any) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


def t2a(
    prompt: str = typer.Argument(..., help="A prompt, or a CSV/JSONL manifest with a 'prompt' column per row."),
    output: Path = typer.Option(..., "--output", "-o", help="Output audio file (a folder for a manifest)."),
    duration: float = typer.Option(None, "--duration", "-d", help="Seconds (default: the model's default)."),
    negative_prompt: str = NEGATIVE,
    model: str = MODEL,
    steps: int = STEPS,
    cfg: float = CFG,
    seed: int = SEED,
    method: str = METHOD,
    num_outputs: int = NUM_OUTPUTS,
    device: str = DEVICE,
    dtype: str = DTYPE,
    overwrite: bool = OVERWRITE,
) -> None:
    """Text-to-audio: write a sound (wav/flac/ogg/mp3) for a prompt, or one per manifest row."""
    from genav.pipelines import TextToAudioPipeline

    single = not is_manifest(prompt)
    suffix = output.suffix if single else ".wav"
    settings = _settings(duration=duration, negative_prompt=negative_prompt, seed=seed)
    jobs = expand_prompt_inputs(prompt, output, suffix=suffix, settings=settings)
    pipe = TextToAudioPipeline.from_pretrained(_model_name(model), device=device, dtype=dtype)

    def make(job: Job) -> dict[str, Any]:
        s = job.settings
        out = pipe(
            s.get("prompt", job.source), negative_prompt=s.get("negative_prompt"), duration=s.get("duration"),
            num_steps=steps, guidance_scale=cfg, seed=s.get("seed"), num_outputs=num_outputs, method=method,
        )
        return save_outputs(out, job, num_outputs)

    _finish(run_batch(jobs, make, overwrite=overwrite, single=single))


def v2a(
    video: str = typer.Argument(..., help="A video file, a folder of videos, or a CSV/JSONL manifest."),
    output: Path = typer.Option(..., "--output", "-o", help="Output video (or folder for several inputs)."),
    prompt: str = typer.Option(None, "--prompt", "-p", help="Text that steers the sound (e.g. off-screen sounds)."),
    negative_prompt: str = NEGATIVE,
    duration: float = typer.Option(None, "--duration", "-d", help="Seconds (default: the video's length)."),
    mix_original: float = typer.Option(
        None, "--mix-original", help="Keep the clip's own sound under the new one at this gain in dB (e.g. -12)."
    ),
    audio_only: bool = typer.Option(False, "--audio-only", help="Write only the sound (wav), not the video."),
    text_cfg: float = typer.Option(None, "--text-cfg", help="Separate guidance scale for the text."),
    video_cfg: float = typer.Option(None, "--video-cfg", help="Separate guidance scale for the video."),
    model: str = MODEL,
    steps: int = STEPS,
    cfg: float = CFG,
    seed: int = SEED,
    method: str = METHOD,
    num_outputs: int = NUM_OUTPUTS,
    device: str = DEVICE,
    dtype: str = DTYPE,
    overwrite: bool = OVERWRITE,
) -> None:
    """Video-to-audio (sound design for silent clips): sound synced to the picture, muxed into the video
    by stream copy (the picture is not re-encoded)."""
    from genav.media import mux_audio
    from genav.pipelines import VideoToAudioPipeline

    single = Path(video).is_file() and not is_manifest(video)
    suffix = (output.suffix or ".wav") if single else (".wav" if audio_only else ".mp4")
    settings = _settings(prompt=prompt, negative_prompt=negative_prompt, duration=duration, seed=seed)
    jobs = expand_video_inputs(video, output, suffix=suffix, settings=settings)
    pipe = VideoToAudioPipeline.from_pretrained(_model_name(model), device=device, dtype=dtype)

    def make(job: Job) -> dict[str, Any]:
        s = job.settings
        out = pipe(
            job.source, prompt=s.get("prompt"), negative_prompt=s.get("negative_prompt"), duration=s.get("duration"),
            num_steps=steps, guidance_scale=cfg, text_guidance_scale=text_cfg, video_guidance_scale=video_cfg,
            seed=s.get("seed"), num_outputs=num_outputs, method=method,
        )
        paths = _outputs(job, num_outputs)
        for k, path in enumerate(paths):
            if audio_only:
                out.save(path, index=k, overwrite=True)
            else:
                mux_audio(job.source, out.to_audio(k), path, mix_original_db=mix_original, overwrite=True)
        return {**out.metadata, "outputs": [str(p) for p in paths], "seeds": out.seeds,
                "mix_original_db": mix_original, "audio_only": audio_only}

    _finish(run_batch(jobs, make, overwrite=overwrite, single=single))


def _finish(result) -> None:
    if result.skipped:
        typer.echo(f"skipped {len(result.skipped)} finished item(s) (use --overwrite to redo them)", err=True)
    if len(result.done) + len(result.skipped) + len(result.failed) > 1 or result.failed:
        typer.echo(f"done {len(result.done)}, skipped {len(result.skipped)}, failed {len(result.failed)}", err=True)
    for name, reason in result.failed:
        typer.echo(f"genav: error: {name}: {reason}", err=True)
    if result.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("t2a")(t2a)
    app.command("v2a")(v2a)
    app.command("foley", help="Alias of v2a: sound design for silent clips.")(v2a)
