"""`genav train tagger`: train the genav tagger (the offline default classifier for KLD/FD/IS)."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer

DEFAULT_MANIFEST = "../shared/data/sfx/manifest.jsonl"


def register(app: typer.Typer) -> None:
    app.command("tagger")(tagger_command)


def tagger_command(
    data: Path = typer.Option(Path(DEFAULT_MANIFEST), "--data", help="SFX manifest (JSONL with file, label, licence)."),
    out: Path = typer.Option(Path("checkpoints/genav-tagger"), "--out", "-o", help="Output model folder."),
    synth_per_type: int = typer.Option(
        8, "--synth-per-type", min=0, help="Synthetic-world clips per event type, cut into one snippet per event "
        "(0: SFX only)."
    ),
    epochs: int = typer.Option(150, "--epochs", min=1, help="Training epochs."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the initialisation and the batches."),
    holdout: float = typer.Option(0.2, "--holdout", min=0.0, max=0.5, help="Held-out share per class."),
    threads: int = typer.Option(
        1, "--threads", min=1, help="Torch CPU threads (1: the same numbers on every machine, and no OpenMP "
        "spinning when other processes share the cores)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing model folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the result line."),
) -> None:
    """Train the genav tagger on labelled SFX (+ synthetic-world clips); writes config, weights, model card."""
    import logging

    import torch

    from genav.errors import OutputExistsError
    from genav.eval.tagger_train import TrainSettings, train_and_save

    if (out / "model.safetensors").exists() and not overwrite:
        raise OutputExistsError(out)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s")
    torch.set_num_threads(threads)
    extra = _synth_clips(synth_per_type, seed) if synth_per_type else []
    command = shlex.join(
        ["genav", "train", "tagger", "--data", str(data), "--out", str(out), "--synth-per-type", str(synth_per_type),
         "--epochs", str(epochs), "--seed", str(seed), "--holdout", f"{holdout:g}", "--threads", str(threads)]
    )  # fmt: skip
    result = train_and_save(
        data, out, settings=TrainSettings(epochs=epochs, seed=seed, holdout=holdout), extra=extra, command=command
    )
    acc = "n/a" if result.accuracy is None else f"{result.accuracy:.3f}"
    typer.echo(
        f"trained on {len(result.train_names)} clips in {result.seconds:.0f} s; held-out accuracy {acc} "
        f"on {len(result.test_names)} clips; model folder: {out}"
    )


def _synth_clips(per_type: int, seed: int) -> list:
    """Event snippets of single-source clips of each event type of the synthetic world.

    Each audible event gives one snippet from 0.1 s before to 0.9 s after it, so a training crop
    holds the sound it is labelled with; the snippets of one clip share a group (same split side).
    """
    from genav.data.synth import EVENT_TYPES, SynthSettings, generate_clip
    from genav.eval.tagger import TaggerConfig
    from genav.eval.tagger_labels import SYNTH_CLASS_OF_EVENT
    from genav.eval.tagger_train import LabelledClip

    rate = TaggerConfig().sample_rate
    clips = []
    for k, event in enumerate(EVENT_TYPES):
        settings = SynthSettings(event_types=(event,), max_sources=1, p_texture=0.0, difficulty=0.0, sample_rate=rate)
        for i in range(per_type):
            clip_seed = 1_000_000 * (seed + 1) + 1000 * k + i
            clip = generate_clip(clip_seed, settings)
            group = f"synth/{event}-{clip_seed}"
            for j, t in enumerate(clip.event_times(audible=True)):
                lo, hi = max(0, int((t - 0.1) * rate)), int((t + 0.9) * rate)
                clips.append(LabelledClip(f"{group}.{j}", clip.audio[lo:hi], SYNTH_CLASS_OF_EVENT[event], group,
                                          "genav synthetic world (generated)"))  # fmt: skip
    return clips
