"""``genav eval distractors``: picture changes without impacts must not get impact sounds.

The model sees distractor clips (:mod:`genav.data.distractors`: ffmpeg test sources through cuts,
pans, shakes, flicker and compression noise, once animated and once frozen to a still picture;
silent synthetic-world clips with cuts, pans, flicker, noise and textured walls) and the generated
sound is checked for onsets: librosa onsets per 10 s (AV-Align's detector, which also fires on
quiet noise) and *loud* onsets per 10 s (an onset whose next 50 ms reach -30 dBFS: an impact a
viewer would hear), the output's RMS level, and the peak before the output gain (the codec must
keep it within 4x full scale). Medians are given over all clips and per group: the animated test
sources move by themselves (a model may rightly hear some of that), the still pictures show the
camera or light effect alone.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from genav.config import keyword_default
from genav.pipelines.settings import steps_and_scale

log = logging.getLogger(__name__)

LOUD = 10 ** (-30 / 20)  # -30 dBFS


def onset_counts(wave: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Onsets per 10 s of a mono wave (N,): all librosa onsets and the loud ones; RMS in dBFS."""
    from genav.eval.detectors.onsets import SAMPLE_RATE, detect_audio_peaks
    from genav.media import resample

    wave = np.asarray(wave, dtype=np.float32)
    seconds = len(wave) / sample_rate
    times = detect_audio_peaks(resample(wave, sample_rate, SAMPLE_RATE), SAMPLE_RATE)
    span = int(0.05 * sample_rate)
    loud = sum(1 for t in times if np.abs(wave[int(t * sample_rate) : int(t * sample_rate) + span]).max(initial=0.0) >= LOUD)
    rms = float(np.sqrt(np.mean(wave.astype(np.float64) ** 2))) if len(wave) else 0.0
    return {
        "onsets_per_10s": round(10.0 * len(times) / seconds, 3),
        "loud_onsets_per_10s": round(10.0 * loud / seconds, 3),
        "rms_dbfs": round(20 * np.log10(max(rms, 1e-10)), 1),
    }


GROUPS = {"animated": "animated test sources", "still": "still pictures", "synthetic": "synthetic world"}


def _medians(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Median onsets and loud onsets per 10 s, RMS dBFS and peak before gain of ``rows``."""
    keys = ("onsets_per_10s", "loud_onsets_per_10s", "rms_dbfs", "peak_before_gain")
    return {key: round(float(np.median([r[key] for r in rows])), 3) for key in keys}


def eval_distractors(
    model: str = "genav-foley-tiny",
    *,
    n_synth: int = 10,
    seconds: float = 8.0,
    fps: int = 25,
    seed: int = 0,
    num_steps: int = keyword_default(25),
    guidance_scale: float = keyword_default(4.5),
    prompt: str | None = None,
    workdir: str | Path | None = None,
    **deprecated: Any,
) -> dict[str, Any]:
    """Generate sound for every distractor clip and count its onsets (see the module doc).

    Args:
        model: a video-to-audio model name or folder.
        n_synth: silent synthetic-world clips besides the ten ffmpeg clips.
        seconds: length of each clip in seconds. fps: their frame rate (frames per second).
        seed: the first clip's seed (clip ``i`` uses ``seed + i``).
        num_steps: solver steps. guidance_scale: classifier-free guidance scale.
        prompt: an optional prompt for every clip.
        workdir: parent of the temporary folder (removed at the end).
        **deprecated: ``steps``/``cfg``, the old names of ``num_steps``/``guidance_scale`` (warn).

    Returns:
        The report dict (JSON-ready): task, model, model_checksum, n_clips, seconds_per_clip, fps,
        num_steps, guidance_scale, prompt, median (onsets and loud onsets per 10 s, RMS dBFS, peak
        before gain; max peak), median_by_group (the same per group of :data:`GROUPS`), clips (one
        row each, with its group), seconds.

    Raises:
        UnknownModelError / CheckpointError: the model cannot be loaded.
        MediaError: ffmpeg cannot make the distractor clips.

    Source: librosa's default onset detection (as AV-Align, Yariv et al. 2024, uses it); the
    distractor idea follows the false-positive checks of sync evaluation (none standard).
    """
    from genav.data.distractors import write_ffmpeg_distractors, write_synth_distractors
    from genav.pipelines import VideoToAudioPipeline
    from genav.pipelines.progress import item_bar

    num_steps, guidance_scale = steps_and_scale(deprecated, "eval_distractors", num_steps, guidance_scale)
    started = time.perf_counter()
    pipe = VideoToAudioPipeline.from_pretrained(model)
    rows = []
    with tempfile.TemporaryDirectory(prefix="genav-eval-distractors-", dir=workdir) as work:
        clips = write_ffmpeg_distractors(Path(work) / "ffmpeg", seconds=seconds, fps=fps)
        if n_synth:
            clips += write_synth_distractors(Path(work) / "synth", n_synth, seed=seed, seconds=seconds, fps=fps)
        for i, clip in enumerate(item_bar(clips, desc="distractors", unit="clip")):
            out = pipe(clip.path, prompt=prompt, num_steps=num_steps, guidance_scale=guidance_scale, seed=seed + i)
            counts = onset_counts(out.audio[0].mean(axis=0), out.sample_rate)
            rows.append({"name": clip.name, "group": clip.group, "description": clip.description, **counts,
                         "peak_before_gain": out.metadata["peak_before_gain"][0]})  # fmt: skip
    summary = _medians(rows)
    summary["max_peak_before_gain"] = round(max(r["peak_before_gain"] for r in rows), 3)
    groups = {g: _medians([r for r in rows if r["group"] == g]) for g in GROUPS if any(r["group"] == g for r in rows)}
    return {
        "task": "distractors", "model": pipe.model_name, "model_checksum": pipe.checksum, "n_clips": len(rows),
        "seconds_per_clip": seconds, "fps": fps, "num_steps": num_steps, "guidance_scale": guidance_scale,
        "prompt": prompt,
        "median": summary, "median_by_group": groups, "clips": rows, "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip


def distractors_markdown(report: dict[str, Any]) -> str:
    """Per-clip table and the medians."""
    m = report["median"]
    lines = [
        f"# genav eval distractors: {report['model']} ({report['model_checksum']})",
        "",
        f"{report['n_clips']} clips of {report['seconds_per_clip']:g} s at {report['fps']} fps with no impacts; prompt: "
        f"{report['prompt'] or 'none'}; {report['num_steps']} steps, CFG {report['guidance_scale']:g}.",
        "",
        f"**Median onsets per 10 s: {m['onsets_per_10s']:g}** (loud, >= -30 dBFS: {m['loud_onsets_per_10s']:g}); "
        f"median RMS {m['rms_dbfs']:g} dBFS; peak before gain: median {m['peak_before_gain']:.2f}, "
        f"max {m['max_peak_before_gain']:.2f} x full scale.",
        "",
        *[f"- {GROUPS[g]}: median loud onsets per 10 s {v['loud_onsets_per_10s']:g}, RMS {v['rms_dbfs']:g} dBFS"
          for g, v in report.get("median_by_group", {}).items()],
        "",
        "| clip | what it shows | onsets / 10 s | loud onsets / 10 s | RMS dBFS | peak before gain |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['name']} | {r['description']} | {r['onsets_per_10s']:g} | {r['loud_onsets_per_10s']:g} | "
              f"{r['rms_dbfs']:g} | {r['peak_before_gain']:.2f} |" for r in report["clips"]]  # fmt: skip
    return "\n".join(lines) + "\n"
