"""`genav data ...`: the synthetic audio-visual world, training manifests with caption variants, frame strips."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


def _size(text: str) -> tuple[int, int]:
    """'64' or '96x64' -> (width, height)."""
    from genav.errors import InputError

    parts = text.lower().split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise InputError(f"--size must be N or WxH (e.g. 64 or 96x64), got {text!r}") from None
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    raise InputError(f"--size must be N or WxH (e.g. 64 or 96x64), got {text!r}")


def _pair(text: str) -> tuple[int, int]:
    """'3' or '2,5' -> (lo, hi)."""
    from genav.errors import InputError

    try:
        values = [int(p) for p in text.replace("-", ",").split(",")]
    except ValueError:
        raise InputError(f"--events must be N or LO,HI (e.g. 2,5), got {text!r}") from None
    if len(values) not in (1, 2):
        raise InputError(f"--events must be N or LO,HI (e.g. 2,5), got {text!r}")
    return values[0], values[-1]


@app.command("synth")
def synth(
    out: Path = typer.Argument(..., help="Output folder: <id>.mp4, <id>.wav and manifest.jsonl."),
    n: int = typer.Option(100, "--n", min=1, help="Number of clips."),
    seed: int = typer.Option(0, "--seed", min=0, help="First seed; clip i uses split offset + seed + i."),
    split: str = typer.Option("train", "--split", help="train, val or test (disjoint seed ranges)."),
    duration: float = typer.Option(4.0, "--duration", help="Seconds per clip."),
    fps: int = typer.Option(10, "--fps", help="Frames per second (8..30)."),
    fps_choices: str = typer.Option(
        None, "--fps-choices", help="Each clip draws its frame rate from these, e.g. 8,12,24,30 (mixed rates)."
    ),
    size: str = typer.Option("64", "--size", help="Frame size: N or WxH (even numbers)."),
    sample_rate: int = typer.Option(16000, "--sample-rate", help="Audio sample rate in Hz."),
    events: str = typer.Option("2,5", "--events", help="Events per clip: N or LO,HI."),
    difficulty: float = typer.Option(
        0.0, "--difficulty", help="0..1: chance of silent distractor motion and of off-screen sounds."
    ),
    p_texture: float = typer.Option(0.4, "--p-texture", help="Chance of a rain/wind/crowd background."),
    p_offscreen: float = typer.Option(0.5, "--p-offscreen", help="Chance that the background is off-screen."),
    types: str | None = typer.Option(None, "--types", help="Comma-separated event types (default: all)."),
    max_sources: int = typer.Option(2, "--max-sources", help="Sound sources in the picture per clip (1..3)."),
    distractors: float = typer.Option(
        0.0, "--distractors", help="0..1: chance of each silent picture change (cut, pan/shake, flicker, noise, "
        "textured wall)."
    ),
    p_silent: float = typer.Option(0.0, "--p-silent", help="Chance of a clip with no sound source at all."),
    silent: bool = typer.Option(False, "--silent", help="Also write <id>.silent.mp4 (the picture alone)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing files."),
    workers: int | None = typer.Option(None, "--workers", min=0, help="Processes (default: all cores)."),
) -> None:
    """Write clips of the synthetic audio-visual world: sounds with visible causes and exact
    event times (in manifest.jsonl)."""
    import time

    from genav.data.synth import EVENT_TYPES, SynthSettings, write_synth_dataset

    width, height = _size(size)
    settings = SynthSettings(
        duration=duration,
        fps=fps,
        width=width,
        height=height,
        sample_rate=sample_rate,
        n_events=_pair(events),
        difficulty=difficulty,
        p_texture=p_texture,
        p_offscreen=p_offscreen,
        max_sources=max_sources,
        p_cut=distractors, p_pan=distractors, p_flicker=distractors, p_noise=distractors, p_textured=distractors,
        p_silent=p_silent,
        fps_choices=tuple(int(f) for f in fps_choices.split(",") if f.strip()) if fps_choices else (),
        event_types=EVENT_TYPES if types is None else tuple(t.strip() for t in types.split(",") if t.strip()),
    )
    start = time.perf_counter()
    manifest = write_synth_dataset(
        out, n, seed=seed, split=split, settings=settings, silent=silent, overwrite=overwrite, workers=workers
    )
    typer.echo(f"wrote {n} clips to {out} in {time.perf_counter() - start:.1f} s; manifest: {manifest}")


@app.command("captions")
def captions(
    manifest: Path = typer.Argument(..., help="Manifest whose rows carry several captions (e.g. sfx2)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSONL: one row per training caption."),
    split: str = typer.Option("train", "--split", help="Rows of this split only ('' = all)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """A training manifest for loaders that read one caption per row: each row once per caption
    variant it may train on; the held-out variant (genav.data.captions) never appears."""
    from genav.data.captions import write_training_manifest

    n = write_training_manifest(manifest, out, split=split or None, overwrite=overwrite)
    typer.echo(f"wrote {n} rows to {out}")


@app.command("strip")
def strip(
    video: Path = typer.Argument(..., help="A video file (a generated clip, a synthetic one, ...)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output PNG."),
    frames: int = typer.Option(8, "--frames", help="Pictures, evenly spaced in time (1..64)."),
    height: int = typer.Option(96, "--height", help="Height of each picture in pixels."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """A PNG of evenly spaced frames side by side, to judge a clip's picture at a glance."""
    from genav.media import write_frame_strip

    write_frame_strip(video, out, frames=frames, height=height, overwrite=overwrite)
    typer.echo(f"wrote {out}")
