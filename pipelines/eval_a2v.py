"""``genav eval a2v``: does a generated video move when its sound says so?

On ``n`` held-out clips of the synthetic world's text-to-video subset with their sound (seeds
from :data:`~genav.train.video_objects.HELD_OUT_SEED`, never trained on), each clip's sound
is turned into video four ways: the sound alone; the sound delayed by ``shift_s`` (0.5 s); the
sound with the clip's caption; the caption alone (the no-audio control, through the backbone's own
text-to-video path). Reported:

- *AV-Align* (protocols ``reference`` and ``genav``, :mod:`genav.eval.detectors.av_align_clip`) of the generated
  video with its sound, against the true video with the same sound, the generated video with the
  sound of another clip (shuffled) and with its sound shifted by ``shift_s``; the control's video
  with the clip's sound;
- *event F1*: motion peaks of the generated video (AV-Align's flow detector) matched one-to-one to
  the true event times within one frame, pooled over clips (also for the true clips, the
  control and audio + caption);
- *lag* (:mod:`genav.eval.metrics.lag`): cross-correlation lag of generated motion energy with the sound's
  onset envelope, mean ``|lag|``; the *shift test*: the video of the delayed sound, against the
  original sound, must lag by ``shift_s`` more (within one frame);
- with a caption, whether the video shows its object class and colour (the ``genav-objects``
  detector, whose accuracy on the true clips comes first).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from genav.eval.classifiers.video_objects import ObjectReader
from genav.eval.detectors.av_align_clip import PROTOCOLS, score_clip
from genav.eval.detectors.onsets import HOP_LENGTH, SAMPLE_RATE, onset_envelope
from genav.eval.detectors.optical_flow import FlowTrajectory, frames_trajectory
from genav.eval.metrics.lag import envelope_per_frame, motion_lag
from genav.media import resample
from genav.pipelines.audio_to_video import AudioToVideoPipeline
from genav.pipelines.eval_t2v import _f1, _shown, motion_peak_times
from genav.pipelines.text_to_video import TextToVideoPipeline
from genav.train.a2v_data import make_a2v_clips
from genav.train.video_objects import HELD_OUT_SEED

log = logging.getLogger(__name__)


def delayed(wave: np.ndarray, seconds: float, sample_rate: int) -> np.ndarray:
    """``wave`` ``(N,)`` delayed by ``seconds`` (silence first), cut to its length."""
    pad = int(round(seconds * sample_rate))
    return np.concatenate([np.zeros(pad, wave.dtype), wave])[: len(wave)]


def _av_align(frames: np.ndarray, wave22: np.ndarray, fps: float, protocol: str) -> float | None:
    traj = FlowTrajectory(frames_trajectory(frames), fps, len(frames), frames.shape[2], frames.shape[1])
    return score_clip(traj, wave22, protocol=protocol).score


def _mean(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return round(float(np.mean(defined)), 4) if defined else None


def _lag(frames: np.ndarray, wave22: np.ndarray, fps: float) -> float | None:
    env = onset_envelope(wave22, SAMPLE_RATE)
    onsets = envelope_per_frame(env, SAMPLE_RATE / HOP_LENGTH, fps, len(frames))
    return motion_lag(frames_trajectory(frames), onsets, fps)


def _generate_all(pipe: AudioToVideoPipeline, clips: Any, *, shift_s: float, num_steps: int,
                  guidance_scale: float, seed: int) -> dict[str, list[np.ndarray]]:
    """Per clip: sound alone, delayed sound, sound + caption, caption alone (control)."""
    sr, frames = clips.sample_rate, int(clips.frames.shape[1])
    out: dict[str, list[np.ndarray]] = {"audio": [], "shifted": [], "audio_prompt": [], "control": []}
    common = dict(sample_rate=sr, duration=frames / clips.fps, num_steps=num_steps,
                  audio_guidance_scale=guidance_scale, allow_silent=True)
    for i in range(len(clips)):
        wave = clips.audio[i].numpy()
        caption = clips.captions[i]
        out["audio"].append(pipe(wave, seed=seed + i, **common).frames[0])
        out["shifted"].append(pipe(delayed(wave, shift_s, sr), seed=seed + i, **common).frames[0])
        out["audio_prompt"].append(pipe(wave, prompt=caption, seed=seed + i, **common).frames[0])
        control = TextToVideoPipeline.__call__(pipe, caption, num_frames=frames, num_steps=num_steps,
                                               guidance_scale=guidance_scale, seed=seed + i)
        out["control"].append(control.frames[0])
        log.info("generated clip %d/%d", i + 1, len(clips))
    return out


def eval_a2v(model: str = "genav-a2v-tiny", *, n: int = 100, seconds: float = 1.6, num_steps: int = 25,
             guidance_scale: float = 3.0, shift_s: float = 0.5, seed: int = 0, detector: str | None = None,
             device: str = "cpu", keep: int = 0) -> dict[str, Any]:
    """The audio-to-video report described in the module docstring (JSON-able).

    Args:
        model: an audio-to-video model name or folder.
        n: held-out clips. seconds: length of each clip in seconds.
        num_steps: solver steps. guidance_scale: the audio (and text) guidance scale.
        shift_s: the delay of the shift test in seconds.
        seed: the first clip's seed. detector: the object detector folder (default ``genav-objects``).
        device: ``cpu``/``cuda``/... keep: > 0 adds the first ``keep`` clips' frames and curves
            under ``"examples"`` (for plots).

    Returns:
        Keys: model, backbone, clips, seconds, fps, held_out_seed, num_steps, guidance_scale,
        shift_s, seed, detector, av_align_reference / av_align_genav (generated, true pairs,
        shuffled, shifted, control, with prompt; ratios), event_f1, the lags and the shift test,
        detector_on_true_clips, audio_prompt_shown (class, colour, both), wall_s (and examples).

    Raises:
        UnknownModelError / CheckpointError: the model or the detector cannot be loaded.
        InputError: bad generation settings.

    Source: AV-Align, Yariv et al., "Diverse and Aligned Audio-to-Video Generation via Text-to-Video
    Model Adaptation" (AAAI 2024, TempoTokens); the lag by cross-correlation of motion energy and
    onset strength (:mod:`genav.eval.metrics.lag`).
    """
    begin = time.perf_counter()
    pipe = AudioToVideoPipeline.from_pretrained(model, device=device)
    reader = ObjectReader.load(detector)
    size = pipe.backbone.frame_size
    clips = make_a2v_clips(n, first_seed=HELD_OUT_SEED, settings=dict(
        fps=int(round(pipe.fps)), duration=seconds, width=size[1], height=size[0]))
    fps = clips.fps
    videos = _generate_all(pipe, clips, shift_s=shift_s, num_steps=num_steps, guidance_scale=guidance_scale, seed=seed)
    waves = [resample(clips.audio[i].numpy()[None], clips.sample_rate, SAMPLE_RATE)[0] for i in range(n)]
    shuffled = waves[1:] + waves[:1]
    shifted = [delayed(w, shift_s, SAMPLE_RATE) for w in waves]
    true = [clips.frames[i].numpy() for i in range(n)]
    report: dict[str, Any] = {
        "model": pipe.model_name, "backbone": pipe.backbone_name, "clips": n, "seconds": seconds, "fps": fps,
        "held_out_seed": HELD_OUT_SEED, "num_steps": num_steps, "guidance_scale": guidance_scale, "shift_s": shift_s,
        "seed": seed, "detector": reader.config.name,
    }
    for protocol in PROTOCOLS:
        def score(frames: list[np.ndarray], sounds: list[np.ndarray], protocol: str = protocol) -> float | None:
            return _mean([_av_align(f, w, fps, protocol) for f, w in zip(frames, sounds, strict=True)])

        gen, real = score(videos["audio"], waves), score(true, waves)
        shuf = score(videos["audio"], shuffled)
        report[f"av_align_{protocol}"] = {
            "generated": gen, "true_pairs": real, "shuffled_audio": shuf,
            "shifted_audio": score(videos["audio"], shifted), "no_audio_control": score(videos["control"], waves),
            "audio_prompt": score(videos["audio_prompt"], waves),
            "ratio_to_true": None if not (gen and real) else round(gen / real, 3),
            "ratio_to_shuffled": None if not (gen and shuf) else round(gen / shuf, 3),
        }
    truths = [list(e) for e in clips.events]
    peaks = {k: [motion_peak_times(f, fps) for f in v] for k, v in videos.items()}
    report["event_f1"] = {k: _f1(p, truths, fps) for k, p in peaks.items()}
    report["event_f1"]["shuffled_truth"] = _f1(peaks["audio"], truths[1:] + truths[:1], fps)
    report["event_f1"]["true_clips"] = _f1([motion_peak_times(f, fps) for f in true], truths, fps)
    report.update(_lags(videos, true, waves, fps, shift_s))
    report["detector_on_true_clips"] = _shown([reader.read(f) for f in true], _subjects(clips))
    report["audio_prompt_shown"] = _shown([reader.read(f) for f in videos["audio_prompt"]], _subjects(clips))
    report["wall_s"] = round(time.perf_counter() - begin, 1)
    if keep:
        report["examples"] = [{"caption": clips.captions[i], "events": truths[i], "true": true[i], "wave": waves[i],
                               **{k: v[i] for k, v in videos.items()}} for i in range(min(keep, n))]
    return report


def _lags(videos: dict[str, list[np.ndarray]], true: list[np.ndarray], waves: list[np.ndarray], fps: float,
          shift_s: float) -> dict[str, Any]:
    """Mean |lag| of generated and true motion against the sound, and the shift test."""
    lag = [_lag(f, w, fps) for f, w in zip(videos["audio"], waves, strict=True)]
    lag_shift = [_lag(f, w, fps) for f, w in zip(videos["shifted"], waves, strict=True)]
    true_lag = [_lag(f, w, fps) for f, w in zip(true, waves, strict=True)]
    def follows(a: float | None, b: float | None) -> bool:
        return a is not None and b is not None and abs((b - a) - shift_s) <= 1.0 / fps + 1e-6

    passed = [follows(a, b) for a, b in zip(lag, lag_shift, strict=True)]
    k = int(round(shift_s * fps))  # the metric's ceiling: true clips delayed by shift_s (first frame held)
    late = [_lag(np.concatenate([f[:1]] * k + [f[: len(f) - k]]), w, fps) for f, w in zip(true, waves, strict=True)]
    passed_true = [follows(a, b) for a, b in zip(true_lag, late, strict=True)]
    return {
        "lag": {
            "generated_mean_abs_s": _mean([abs(x) if x is not None else None for x in lag]),
            "true_mean_abs_s": _mean([abs(x) if x is not None else None for x in true_lag]),
            "shifted_input_mean_s": _mean(lag_shift),
            "undefined": sum(x is None for x in lag),
        },
        "shift_test": {"passed": round(sum(passed) / len(passed), 3), "tolerance_s": round(1.0 / fps, 4),
                       "true_clips_delayed_passed": round(sum(passed_true) / len(passed_true), 3)},
    }


def _subjects(clips: Any) -> list[tuple[None, Any]]:
    """``(None, subject)`` pairs with the clips' ``cls`` and ``colour``, as ``_shown`` reads them."""
    from types import SimpleNamespace

    return [(None, SimpleNamespace(cls=c, colour=k)) for c, k in clips.subjects]
