"""`genav t2a`, `genav v2a` (alias `genav foley`): generation from the command line.

Every option and every input is checked before any model loads (:func:`_check_t2a`,
:func:`_check_v2a`): a bad value is a one-line error at once, not after a long generation; in a
batch, a bad item is listed as failed and the others run.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import typer

from genav.cli.batch import (
    Job,
    expand_prompt_inputs,
    expand_video_inputs,
    is_manifest,
    precheck,
    process_device,
    run_batch,
)
from genav.cli.common import (
    SYNC_PHASES,
    WINDOW,
    check_prompt,
    check_runtime,
    check_scale,
    check_seed,
    check_steps,
    mix_gain_to_attenuation,
)

MODEL = typer.Option("auto", "--model", "-m", help="Model name (genav models list) or folder; auto = the embedded default.")
STEPS = typer.Option(25, "--steps", "--num-steps", help="Solver steps (at least 1).")
CFG = typer.Option(4.5, "--cfg", "--guidance-scale", help="Classifier-free guidance scale (>= 0).")
SEED = typer.Option(
    None, "--seed", help="Seed, 0..2^63-1 (a manifest row's seed wins; rows without one get seed + row)."
)
DEVICE = typer.Option("auto", "--device", help="auto|cpu|cuda|mps")
DTYPE = typer.Option("auto", "--dtype", help="auto|float32|float16|bfloat16")
NUM_OUTPUTS = typer.Option(1, "--num-outputs", "-n", help="Outputs per input, at least 1 (seed, seed+1, ...).")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace existing outputs.")
NEGATIVE = typer.Option(None, "--negative-prompt", help="What the sound should not be.")
METHOD = typer.Option("euler", "--method", help="euler|heun|midpoint")
THREADS = typer.Option("auto", "--threads", help="CPU threads: a number, or auto (OMP_NUM_THREADS if set; else the cores shared among a launch's processes, 1 when the machine is busy).")
DEFAULT_FOLEY_MODEL = "genav-foley-tiny"
DEFAULT_T2A_MODEL = "genav-t2a-small"  # trained for text only: follows prompts better than the V2A default


@dataclass(frozen=True)
class RunOptions:
    """The sampling and runtime options every generation command takes (``--steps`` ... ``--threads``)."""

    steps: int
    cfg: float
    seed: int | None
    method: str
    num_outputs: int
    device: str
    dtype: str
    overwrite: bool
    threads: str


_RUN_OPTIONS = {"steps": STEPS, "cfg": CFG, "seed": SEED, "method": METHOD, "num_outputs": NUM_OUTPUTS,
                "device": DEVICE, "dtype": DTYPE, "overwrite": OVERWRITE, "threads": THREADS}  # fmt: skip


def with_run_options(**overrides: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the shared :class:`RunOptions` options after its own (``overrides``: another
    ``typer.Option`` for one of them, e.g. a different ``--cfg`` default); the command takes them
    as one ``run: RunOptions`` argument."""
    hints = typing.get_type_hints(RunOptions)

    def wrap(command: Callable[..., None]) -> Callable[..., None]:
        own = [p for p in inspect.signature(command).parameters.values() if p.name != "run"]
        shared = [
            inspect.Parameter(f.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=hints[f.name],
                              default=overrides.get(f.name, _RUN_OPTIONS[f.name]))
            for f in fields(RunOptions)
        ]  # fmt: skip

        @functools.wraps(command)
        def with_options(**kwargs: Any) -> None:
            run = RunOptions(**{f.name: kwargs.pop(f.name) for f in fields(RunOptions)})
            command(**kwargs, run=run)

        resolved = typing.get_type_hints(command, localns={"RunOptions": RunOptions})
        annotations = {k: v for k, v in resolved.items() if k != "run"}
        with_options.__annotations__ = {**annotations, **{p.name: p.annotation for p in shared}}
        with_options.__signature__ = inspect.Signature([*own, *shared])  # type: ignore[attr-defined]
        return with_options

    return wrap


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


@with_run_options()
def t2a(
    prompt: str = typer.Argument(..., help="A prompt, or a CSV/JSONL manifest with a 'prompt' column per row."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Output sound (.wav .flac .ogg .mp3 .m4a .opus; a folder for a manifest)."
    ),
    duration: float = typer.Option(
        None, "--duration", "-d", help="Seconds, > 0 (default 8, or the model's maximum if shorter); genav models "
        "generate longer sounds in overlapping windows, up to 600 s."
    ),
    negative_prompt: str = NEGATIVE,
    window: float = WINDOW,
    model: str = MODEL,
    run: RunOptions = None,  # type: ignore[assignment]  # filled by with_run_options
) -> None:
    """Text-to-audio: write a sound (wav/flac/ogg/mp3) for a prompt, or one per manifest row."""
    from genav.cli.common import set_threads
    from genav.pipelines.auto import AutoTextToAudioPipeline
    from genav.pipelines.progress import step_bar

    single = not is_manifest(prompt)
    suffix = output.suffix if single else ".wav"
    settings = _settings(duration=duration, negative_prompt=negative_prompt, seed=run.seed)
    _check_common(run, negative_prompt)
    set_threads(run.threads)  # checks --threads too
    name = _model_name(model, default=DEFAULT_T2A_MODEL)
    maximum = _max_duration(name)
    jobs = expand_prompt_inputs(prompt, output, suffix=suffix, settings=settings)
    jobs, rejected = precheck(jobs, functools.partial(_check_t2a, maximum=maximum), overwrite=run.overwrite,
                              single=single)  # fmt: skip
    pipe = AutoTextToAudioPipeline.from_pretrained(name, device=process_device(run.device), dtype=run.dtype) if jobs else None
    windowing = _windowing(pipe, window)

    def make(job: Job) -> dict[str, Any]:
        s = job.settings
        with step_bar(job.name) as progress:
            out = pipe(
                s.get("prompt", job.source), negative_prompt=s.get("negative_prompt"), duration=s.get("duration"),
                num_steps=run.steps, guidance_scale=run.cfg, seed=s.get("seed"), num_outputs=run.num_outputs,
                method=run.method, progress=progress, **windowing,
            )
        return save_outputs(out, job, run.num_outputs)

    _finish(run_batch(jobs, make, overwrite=run.overwrite, single=single, rejected=rejected))


@with_run_options()
def v2a(
    video: str = typer.Argument(..., help="A video file, a folder of videos, or a CSV/JSONL manifest."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Output video (.mp4 .m4v .mov .mkv .webm) or sound (.wav .flac .ogg .mp3 .m4a "
        ".opus), or a folder for several inputs.",
    ),
    prompt: str = typer.Option(None, "--prompt", "-p", help="Text that steers the sound (e.g. off-screen sounds)."),
    negative_prompt: str = NEGATIVE,
    duration: float = typer.Option(None, "--duration", "-d", help="Seconds, > 0 (default: the picture's length)."),
    mix_original: float = typer.Option(
        None, "--mix-original", help="Keep the clip's own sound under the new one at this gain in dB, <= 0 "
        "(e.g. -12: 12 dB quieter; 0: same level).",
    ),
    reencode: bool = typer.Option(
        False, "--reencode", help="Re-encode the picture (H.264, VP9 for .webm) instead of copying it, e.g. for a "
        "codec the output container cannot hold.",
    ),
    audio_only: bool = typer.Option(
        False, "--audio-only", help="Write only the sound (wav; implied by an audio -o such as x.wav), not the video."
    ),
    text_cfg: float = typer.Option(None, "--text-cfg", help="Separate guidance scale for the text (>= 0; default: the model's, else --cfg)."),
    video_cfg: float = typer.Option(None, "--video-cfg", help="Separate guidance scale for the video (>= 0)."),
    sound_model: str = typer.Option(
        None, "--sound-model", help="Place the prompt's sound, made by this text-to-audio model (e.g. "
        "genav-t2a-small), at the events --model hears in the picture (needs --prompt; event sounds).",
    ),
    sync_phases: int = SYNC_PHASES,
    window: float = WINDOW,
    model: str = MODEL,
    run: RunOptions = None,  # type: ignore[assignment]  # filled by with_run_options
) -> None:
    """Video-to-audio (sound design for silent clips): sound synced to the picture, muxed into the video
    by stream copy (the picture is not re-encoded). With --sound-model, one hit of the prompt's sound
    is placed at each event instead (genav.pipelines.PlacedFoleyPipeline)."""
    from genav.cli.common import set_threads
    from genav.pipelines import VideoToAudioPipeline
    from genav.pipelines.progress import step_bar

    single = not Path(video).is_dir() and not is_manifest(video)
    audio_only = audio_only or (single and _is_audio_suffix(output))
    suffix = (output.suffix or ".wav") if single else (".wav" if audio_only else ".mp4")
    settings = _settings(prompt=prompt, negative_prompt=negative_prompt, duration=duration, seed=run.seed)
    _check_common(run, negative_prompt)
    set_threads(run.threads)  # checks --threads too
    _check_prompt_options(prompt=prompt, text_cfg=text_cfg, video_cfg=video_cfg)
    attenuation = mix_gain_to_attenuation(mix_original)
    name = _model_name(model)
    _resolve(name, "foley")
    if sound_model is not None:
        _check_placement(sound_model, prompt, video)
    jobs = expand_video_inputs(video, output, suffix=suffix, settings=settings)
    plans: dict[str, Any] = {}  # job name -> how its picture goes into the output (copy / re-encode)
    check = functools.partial(_check_v2a, audio_only=audio_only, reencode=reencode, plans=plans)
    jobs, rejected = precheck(jobs, check, overwrite=run.overwrite, single=single)
    pipe = VideoToAudioPipeline.from_pretrained(name, device=process_device(run.device), dtype=run.dtype) if jobs else None
    windowing = _windowing(pipe, window)
    if pipe is not None and sound_model is not None:
        from genav.pipelines import PlacedFoleyPipeline, TextToAudioPipeline

        sound = TextToAudioPipeline.from_pretrained(sound_model, device=process_device(run.device),
                                                    dtype=run.dtype)  # fmt: skip
        pipe = PlacedFoleyPipeline(pipe, sound)

    def make(job: Job) -> dict[str, Any]:
        s = job.settings
        with step_bar(job.name) as progress:
            out = pipe(
                job.source, prompt=s.get("prompt"), negative_prompt=s.get("negative_prompt"),
                duration=s.get("duration"), num_steps=run.steps, guidance_scale=run.cfg, text_guidance_scale=text_cfg,
                video_guidance_scale=video_cfg, seed=s.get("seed"), num_outputs=run.num_outputs, method=run.method,
                progress=progress, sync_phases=sync_phases, **windowing,
            )
        plan = None if audio_only else plans.get(job.name)
        paths = _write_v2a(job, out, plan, attenuation)
        return {**out.metadata, "outputs": [str(p) for p in paths], "seeds": out.seeds,
                "mix_original_gain_db": mix_original, "audio_only": audio_only,
                "picture_muxed": None if plan is None else ("copied" if plan.copy else "re-encoded")}  # fmt: skip

    _finish(run_batch(jobs, make, overwrite=run.overwrite, single=single, rejected=rejected))


def _write_v2a(job: Job, out: Any, plan: Any, attenuation: float | None) -> list[Path]:
    """Each output's sound muxed into the clip as ``plan`` says, or (no plan) written alone."""
    from genav.media import mux_audio

    paths = _outputs(job, len(out))
    for k, path in enumerate(paths):
        if plan is None:
            out.save(path, index=k, overwrite=True)
        else:
            mux_audio(job.source, out.to_audio(k), path, mix_original_db=attenuation, overwrite=True, plan=plan)
    return paths


def _check_common(run: RunOptions, negative_prompt: str | None) -> None:
    """The options t2a and v2a share (device and dtype included: they must exist here)."""
    check_steps(run.steps)
    check_scale("--cfg", run.cfg)
    check_seed(run.seed)
    check_prompt("--negative-prompt", negative_prompt)
    check_runtime(run.method, run.device, run.dtype, run.num_outputs)


def _check_placement(sound_model: str, prompt: str | None, video: str) -> None:
    """--sound-model: a known text-to-audio model and a prompt (here or in every manifest row)."""
    _resolve(sound_model, "foley")
    if prompt is None and not is_manifest(video):
        raise typer.BadParameter("--sound-model places the prompt's sound: give --prompt", param_hint="--sound-model")


def _check_prompt_options(*, prompt: str | None, text_cfg: float | None, video_cfg: float | None) -> None:
    check_prompt("--prompt", prompt)
    check_scale("--text-cfg", text_cfg)
    check_scale("--video-cfg", video_cfg)


def _check_row(job: Job, maximum: float | None = None) -> None:
    """A job's own settings (a manifest row may set them)."""
    from genav.pipelines.settings import check_duration

    s = job.settings
    if s.get("duration") is not None:
        check_duration(s["duration"], maximum if maximum is not None else float("inf"))
    check_seed(s.get("seed"), "seed")
    check_prompt("prompt", s.get("prompt"))
    check_prompt("negative prompt", s.get("negative_prompt"))


def _check_t2a(job: Job, maximum: float | None) -> None:
    from genav.media.audio import check_audio_suffix

    _check_row(job, maximum)
    check_prompt("prompt", job.settings.get("prompt", job.source))
    check_audio_suffix(job.output)


def _check_v2a(job: Job, *, audio_only: bool, reencode: bool, plans: dict[str, Any]) -> None:
    """The clip is a readable video; the sound fits it; its picture can go into the output."""
    from genav.errors import InputError
    from genav.media import probe
    from genav.media.audio import check_audio_suffix
    from genav.media.containers import plan_mux
    from genav.media.probe import require_clip

    _check_row(job)
    if audio_only:
        check_audio_suffix(job.output)
    info = probe(job.source)
    require_clip(info)
    duration = job.settings.get("duration")
    if duration is not None and duration > info.video_duration + 0.1:  # the pipeline checks to a frame
        raise InputError(f"duration {duration:g} s is longer than the picture of {job.source} "
                         f"({info.video_duration:.3f} s)")  # fmt: skip
    if not audio_only:
        plan = plan_mux(info, job.output, reencode=reencode)
        if plan.notice:
            typer.echo(f"genav: notice: {plan.notice}", err=True)
        plans[job.name] = plan


def _windowing(pipe: Any, window: float | None) -> dict[str, float]:
    """The ``window`` keyword for a pipeline that generates in windows; --window with another one is an error."""
    if window is None:
        return {}
    if pipe is not None and not hasattr(pipe, "default_window"):
        from genav.errors import InputError

        raise InputError(f"--window works with genav models, not with {type(pipe).__name__}")
    if pipe is not None:
        pipe.resolve_window(window, None)  # a window out of range fails once, before any item
    return {"window": window}


def _is_audio_suffix(path: Path) -> bool:
    from genav.media.audio import AUDIO_OUTPUT_SUFFIXES

    return path.suffix.lower() in AUDIO_OUTPUT_SUFFIXES


def _resolve(name: str, family: str | None = None) -> Any:
    """The registry entry of a model name or folder (an unknown one fails here, before loading)."""
    from genav.registry import resolve_model

    return resolve_model(name, family=family)


def _max_duration(name: str) -> float | None:
    """A model folder's longest sound, read without loading it: an audio MM-DiT generates in
    windows up to ``MAX_LONG_DURATION``; other folders give their config.json ``max_duration``."""
    import json

    from genav.pipelines.settings import MAX_LONG_DURATION

    entry = _resolve(name)
    config = Path(entry.path) / "config.json" if entry.path else None
    if config is None or not config.is_file():
        return None
    fields = json.loads(config.read_text())
    if fields.get("model_type") == "audio-mmdit":
        return MAX_LONG_DURATION
    value = fields.get("max_duration")
    return float(value) if isinstance(value, (int, float)) else None


def _finish(result) -> None:
    for path in result.written:
        typer.echo(f"wrote {path}", err=True)
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
