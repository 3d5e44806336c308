"""`genav t2v`: text-to-video from the command line (one prompt or a manifest of prompts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from genav.cli.batch import (
    AUDIO_SUFFIXES,
    Job,
    expand_media_inputs,
    expand_prompt_inputs,
    is_manifest,
    precheck,
    run_batch,
)
from genav.cli.generate import (
    RunOptions,
    _check_row,
    _finish,
    _model_name,
    _settings,
    save_outputs,
    with_run_options,
)

DEFAULT_T2V_MODEL = "genav-t2v-tiny"
DEFAULT_A2V_MODEL = "genav-a2v-tiny"


def check_video_output(output: Path | None, fps: float | None) -> None:
    """What a video command is given, checked before any model loads: the output's container (one
    genav can encode into; None: a folder of mp4s) and the frame rate (None: the model's)."""
    from genav.media.containers import check_video_suffix
    from genav.pipelines.text_to_video import check_frame_rate

    if output is not None:
        check_video_suffix(output)
    if fps is not None:
        check_frame_rate(fps)


def parse_timed(items: list[str] | None) -> list[tuple[float, str]]:
    """``["0.8:the ball hits the floor", ...]`` -> ``[(0.8, "the ball hits the floor"), ...]``."""
    from genav.errors import InputError

    out = []
    for item in items or []:
        seconds, sep, phrase = item.partition(":")
        try:
            value = float(seconds)
        except ValueError:
            value = None
        if not sep or value is None or not phrase.strip():
            raise InputError(f"--at wants SECONDS:PHRASE (e.g. 0.8:the ball hits the floor), got {item!r}")
        out.append((value, phrase.strip()))
    return out


@with_run_options()
def t2v(
    prompt: str = typer.Argument(..., help="A prompt, or a CSV/JSONL manifest with a 'prompt' column per row."),
    output: Path = typer.Option(..., "--output", "-o", help="Output video (.mp4, .m4v, .mov, .mkv or .webm; a folder for a manifest)."),
    duration: float = typer.Option(None, "--duration", "-d", help="Seconds (default: one window of the model)."),
    frames: int = typer.Option(None, "--frames", help="Number of frames (instead of --duration)."),
    fps: float = typer.Option(None, "--fps", help="Frame rate (default: the model's)."),
    at: list[str] = typer.Option(
        None, "--at", help="Timed prompt SECONDS:PHRASE, seen only by the frame at that time (repeatable)."
    ),
    negative_prompt: str = typer.Option(None, "--negative-prompt", help="What the video should not show."),
    model: str = typer.Option(
        "auto", "--model", "-m", help="genav-t2v-tiny, debug-t2v, or a folder (genav t2v, diffusers UNet3D or Wan)."
    ),
    run: RunOptions = None,  # type: ignore[assignment]  # filled by with_run_options
) -> None:
    """Text-to-video: write an mp4 for a prompt, or one per manifest row (with a JSON sidecar each)."""
    from genav.cli.common import set_threads
    from genav.pipelines import TextToVideoPipeline

    set_threads(run.threads)  # checks --threads too
    single = not is_manifest(prompt)
    check_video_output(output if single else None, fps)
    timed = parse_timed(at)
    settings = _settings(duration=duration, negative_prompt=negative_prompt, seed=run.seed)
    jobs = expand_prompt_inputs(prompt, output, suffix=output.suffix if single else ".mp4", settings=settings)
    name = _model_name(model, "t2v", DEFAULT_T2V_MODEL)
    pipe = TextToVideoPipeline.from_pretrained(name, device=run.device, dtype=run.dtype)

    def make(job: Job) -> dict[str, Any]:
        s = job.settings
        out = pipe(
            s.get("prompt", job.source), negative_prompt=s.get("negative_prompt"), duration=s.get("duration"),
            num_frames=frames, fps=fps, timed_prompts=timed or None, num_steps=run.steps, guidance_scale=run.cfg,
            seed=s.get("seed"), num_outputs=run.num_outputs, method=run.method,
        )
        return save_outputs(out, job, run.num_outputs)

    _finish(run_batch(jobs, make, overwrite=run.overwrite, single=single))


@with_run_options(
    cfg=typer.Option(3.0, "--cfg", "--guidance-scale", help="Audio guidance scale (and the prompt's unless --text-cfg).")
)
def a2v(
    audio: str = typer.Argument(..., help="A sound file, a folder of sound files, or a CSV/JSONL manifest ('audio')."),
    output: Path = typer.Option(..., "--output", "-o", help="Output video (.mp4, .m4v, .mov, .mkv or .webm; a folder for several inputs)."),
    prompt: str = typer.Option(None, "--prompt", "-p", help="What the video shows (audio + text -> video)."),
    negative_prompt: str = typer.Option(None, "--negative-prompt", help="What the video should not show."),
    duration: float = typer.Option(None, "--duration", "-d", help="Seconds (default: the sound's length)."),
    fps: float = typer.Option(None, "--fps", help="Frame rate (default: the model's)."),
    text_cfg: float = typer.Option(None, "--text-cfg", help="Separate guidance scale for the prompt."),
    allow_silent: bool = typer.Option(False, "--allow-silent", help="Generate even when the sound is silent."),
    backbone: str = typer.Option(None, "--backbone", help="Another text-to-video backbone than the adaptor's."),
    model: str = typer.Option("auto", "--model", "-m", help="genav-a2v-tiny, debug-a2v, or an adaptor folder."),
    run: RunOptions = None,  # type: ignore[assignment]  # filled by with_run_options
) -> None:
    """Audio-to-video: a video whose motion follows the sound, with the sound muxed in (JSON sidecar each)."""
    from genav.cli.common import set_threads
    from genav.errors import InputError
    from genav.pipelines import AudioToVideoPipeline
    from genav.pipelines.audio_to_video import check_sound
    from genav.pipelines.progress import step_bar

    set_threads(run.threads)  # checks --threads too
    single = Path(audio).is_file() and not is_manifest(audio)
    check_video_output(output if single else None, fps)
    if not single and not Path(audio).exists():
        raise InputError(f"audio input not found: {audio}")
    settings = _settings(prompt=prompt, negative_prompt=negative_prompt, duration=duration, seed=run.seed)
    jobs = expand_media_inputs(audio, output, suffix=output.suffix if single else ".mp4", settings=settings,
                               kinds=AUDIO_SUFFIXES, column="audio", what="sound files")
    # every sound is read and checked (empty, silent, too long) before the model loads
    def check(job: Job) -> None:
        _check_row(job)
        check_sound(job.source, allow_silent=allow_silent)

    jobs, rejected = precheck(jobs, check, overwrite=run.overwrite, single=single)
    name = _model_name(model, "a2v", DEFAULT_A2V_MODEL)
    pipe = AudioToVideoPipeline.from_pretrained(name, backbone=backbone, device=run.device, dtype=run.dtype) if jobs else None

    def make(job: Job) -> dict[str, Any]:
        s = job.settings
        with step_bar(job.name) as progress:
            out = pipe(
                job.source, prompt=s.get("prompt"), negative_prompt=s.get("negative_prompt"),
                duration=s.get("duration"), fps=fps, num_steps=run.steps, audio_guidance_scale=run.cfg,
                text_guidance_scale=text_cfg, seed=s.get("seed"), num_outputs=run.num_outputs, method=run.method,
                allow_silent=allow_silent, progress=progress,
            )
        return save_outputs(out, job, run.num_outputs)

    _finish(run_batch(jobs, make, overwrite=run.overwrite, single=single, rejected=rejected))


def register(app: typer.Typer) -> None:
    app.command("a2v")(a2v)
    app.command("t2v")(t2v)
