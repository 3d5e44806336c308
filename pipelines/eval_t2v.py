"""``genav eval t2v``: does a text-to-video model show what the prompt names, when it says so?

On ``n`` held-out clips of the synthetic world's text-to-video subset (seeds from
:data:`~genav.train.video_objects.HELD_OUT_SEED`, never trained on):

- *prompt*: each clip's caption ("a red ball bounces") is generated without timing; the
  ``genav-objects`` detector reads the class and colour the video shows (``shown``: both right).
  The detector's own accuracy on the true clips comes first, so its errors are known.
- *timed*: the caption plus its event phrase at the clip's true event times (timed captions);
  motion peaks of the generated video are found by AV-Align's own flow detector (Farneback mean
  flow, strict local maxima >= 0.1 px, :mod:`genav.eval.detectors.optical_flow`) and matched one-to-one to the
  event times within one frame: pooled precision / recall / F1. Controls: the same peaks against
  the true events of another clip (shuffled), the untimed videos' peaks against the true events,
  and the true clips' own peaks.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from genav.data.synth.timed import event_phrase, subject_caption, t2v_clips, t2v_settings
from genav.eval.classifiers.video_objects import ObjectReader
from genav.eval.detectors.optical_flow import detect_video_peaks, frames_trajectory
from genav.eval.metrics.event_f1 import event_f1, pooled_f1
from genav.pipelines.text_to_video import TextToVideoPipeline
from genav.train.video_objects import HELD_OUT_SEED

log = logging.getLogger(__name__)


def motion_peak_times(frames: np.ndarray, fps: float) -> list[float]:
    """Times (s) of AV-Align's video peaks in frames ``(T, H, W, 3)`` uint8."""
    return [float(i) / fps for i in detect_video_peaks(frames_trajectory(frames))]


def _f1(per_clip_peaks: list[list[float]], truths: list[list[float]], fps: float) -> dict[str, float]:
    tol = 1.0 / fps + 1e-6  # "within one frame"
    return pooled_f1([event_f1(p, t, tolerance=tol) for p, t in zip(per_clip_peaks, truths, strict=True)])


def _generate(pipe: TextToVideoPipeline, prompts: list[str], timed: list[list[tuple[float, str]]] | None,
              frames: int, *, num_steps: int, guidance_scale: float, seed: int, batch: int) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for start in range(0, len(prompts), batch):
        part = slice(start, start + batch)
        video = pipe(prompts[part], timed_prompts=None if timed is None else timed[part], num_frames=frames,
                     num_steps=num_steps, guidance_scale=guidance_scale, seed=seed + start)
        out += list(video.frames)
        log.info("generated %d/%d", min(start + batch, len(prompts)), len(prompts))
    return out


def eval_t2v(model: str = "genav-t2v-tiny", *, n: int = 100, seconds: float = 1.6, num_steps: int = 25,
             guidance_scale: float = 4.5, seed: int = 0, batch: int = 10, detector: str | None = None,
             device: str = "cpu", keep: int = 0) -> dict[str, Any]:
    """The text-to-video report described in the module docstring (JSON-able).

    Args:
        model: a text-to-video model name or folder.
        n: held-out clips. seconds: length of each clip in seconds.
        num_steps: solver steps. guidance_scale: classifier-free guidance scale.
        seed: seed of the caption choice and the first generation. batch: prompts generated together.
        detector: the object detector folder (default ``genav-objects``).
        device: ``cpu``/``cuda``/... keep: > 0 adds the first ``keep`` clips' frames ``(T, H, W, 3)``
            uint8 under ``"examples"`` (for plots).

    Returns:
        Keys: model, clips, seconds, fps, frames, held_out_seed, detector, num_steps, guidance_scale,
        seed, batch, detector_on_true_clips / prompt / timed_prompt (class, colour, both: fractions),
        timed_f1, timed_f1_shuffled_truth, untimed_f1, true_clips_f1 (precision/recall/F1 of motion
        peaks within one frame), wall_s (and examples).

    Raises:
        UnknownModelError / CheckpointError: the model or the detector cannot be loaded.
        InputError: bad generation settings.

    Source: motion peaks by AV-Align's flow detector (Yariv et al., AAAI 2024); the object detector
    and the synthetic world are genav's own.
    """
    begin = time.perf_counter()
    pipe = TextToVideoPipeline.from_pretrained(model, device=device)
    reader = ObjectReader.load(detector)
    world = t2v_settings(fps=int(round(pipe.fps)), duration=seconds)
    clips = t2v_clips(n, first_seed=HELD_OUT_SEED, settings=world)
    rng = np.random.default_rng(seed)
    prompts = [subject_caption(s, rng) for _, s in clips]
    truths = [list(s.times) for _, s in clips]
    timed = [[(t, event_phrase(s)) for t in s.times] for _, s in clips]
    frames = world.n_frames
    settings = dict(num_steps=num_steps, guidance_scale=guidance_scale, seed=seed, batch=batch)
    plain = _generate(pipe, prompts, None, frames, **settings)
    with_times = _generate(pipe, prompts, timed, frames, **settings)
    true_read = [reader.read(c.frames) for c, _ in clips]
    report: dict[str, Any] = {
        "model": pipe.model_name, "clips": n, "seconds": seconds, "fps": pipe.fps, "frames": frames,
        "held_out_seed": HELD_OUT_SEED, "detector": reader.config.name, **settings,
        "detector_on_true_clips": _shown(true_read, clips),
        "prompt": _shown([reader.read(f) for f in plain], clips),
        "timed_prompt": _shown([reader.read(f) for f in with_times], clips),
    }
    fps = pipe.fps
    gen_peaks = [motion_peak_times(f, fps) for f in with_times]
    report["timed_f1"] = _f1(gen_peaks, truths, fps)
    report["timed_f1_shuffled_truth"] = _f1(gen_peaks, truths[1:] + truths[:1], fps)
    report["untimed_f1"] = _f1([motion_peak_times(f, fps) for f in plain], truths, fps)
    report["true_clips_f1"] = _f1([motion_peak_times(c.frames, fps) for c, _ in clips], truths, fps)
    report["wall_s"] = round(time.perf_counter() - begin, 1)
    if keep:
        report["examples"] = [{"prompt": prompts[i], "events": truths[i], "plain": plain[i], "timed": with_times[i],
                               "true": clips[i][0].frames} for i in range(min(keep, n))]
    return report


def _shown(reads: list[Any], clips: list[Any]) -> dict[str, float]:
    n = len(clips)
    cls = sum(r.cls == s.cls for r, (_, s) in zip(reads, clips, strict=True))
    col = sum(r.colour == s.colour for r, (_, s) in zip(reads, clips, strict=True))
    both = sum(r.cls == s.cls and r.colour == s.colour for r, (_, s) in zip(reads, clips, strict=True))
    return {"class": cls / n, "colour": col / n, "both": both / n}
