"""The ground truth is right under AV-Align's own detectors (genav.eval, protocol `reference`).

Audio: librosa onsets (defaults, 22050 Hz) match the true on-screen event times (F1 >= 0.9 at
+-50 ms). Video: Farneback flow peaks fall within one frame of the on-screen events (F1 >= 0.9).
The default run checks a few clips in memory and through written mp4 files; the slow run checks
50 clips through the files (as the evaluator reads them) and other frame rates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genav.data.synth import SynthSettings, generate_clip, write_synth_dataset
from genav.eval.detectors.onsets import SAMPLE_RATE, detect_audio_peaks, load_audio
from genav.eval.detectors.optical_flow import detect_video_peaks, flow_trajectory, frames_trajectory
from genav.eval.metrics.event_f1 import event_f1, pooled_f1
from genav.media import resample

F1_MIN = 0.9


def _score(items) -> tuple[float, float, list]:
    """items: (name, wave at 22050 Hz, trajectory, fps, audible_times, visible_times) per clip."""
    audio, video, misses = [], [], []
    for name, wave, trajectory, fps, audible, visible in items:
        a = event_f1(detect_audio_peaks(wave), audible, tolerance=0.05)
        v = event_f1(detect_video_peaks(trajectory) / fps, visible, tolerance=1.0 / fps + 1e-9)
        audio.append(a)
        video.append(v)
        if a["f1"] < 1 or v["f1"] < 1:
            misses.append((name, a, v))
    return pooled_f1(audio)["f1"], pooled_f1(video)["f1"], misses


def _in_memory(seeds, settings):
    for seed in seeds:
        clip = generate_clip(seed, settings)
        audible = [e.time for e in clip.events if e.audible]
        visible = [e.time for e in clip.events if e.on_screen]
        wave = resample(clip.audio, clip.sample_rate, SAMPLE_RATE)
        yield seed, wave, frames_trajectory(clip.frames), clip.fps, audible, visible


def _from_files(folder: Path):
    """Read a written data set as AV-Align does: OpenCV decoding of the mp4, the wav beside."""
    for line in (folder / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        traj = flow_trajectory(folder / row["file"])
        on_screen = [e["time"] for e in row["events"] if e["on_screen"] and e["audible"]]
        yield row["id"], load_audio(folder / row["audio"]), traj.values, traj.fps, on_screen, on_screen


def test_ground_truth_in_memory():
    audio_f1, video_f1, misses = _score(_in_memory(range(12), SynthSettings()))
    assert audio_f1 >= F1_MIN and video_f1 >= F1_MIN, misses


def test_ground_truth_through_mp4_files(tmp_path):
    write_synth_dataset(tmp_path / "set", 6, seed=100, split="test", workers=0, progress=False)
    audio_f1, video_f1, misses = _score(_from_files(tmp_path / "set"))
    assert audio_f1 >= F1_MIN and video_f1 >= F1_MIN, misses


@pytest.mark.slow
def test_ground_truth_50_clips_through_files(tmp_path):
    write_synth_dataset(tmp_path / "set", 50, seed=0, split="test", progress=False)
    audio_f1, video_f1, misses = _score(_from_files(tmp_path / "set"))
    assert audio_f1 >= F1_MIN and video_f1 >= F1_MIN, misses


@pytest.mark.slow
@pytest.mark.parametrize(
    "changes",
    [
        {"fps": 8},
        {"fps": 25},
        {"width": 128, "height": 128},
        {"width": 96, "height": 64, "sample_rate": 22050},
        {"duration": 8.0, "n_events": (4, 8)},
        {"difficulty": 1.0},
    ],
)
def test_ground_truth_other_settings(changes):
    """With difficulty, onsets are matched to all audible events and flow peaks to all visible ones."""
    audio_f1, video_f1, misses = _score(_in_memory(range(50), SynthSettings(**changes)))
    assert audio_f1 >= F1_MIN and video_f1 >= F1_MIN, misses


def test_scores_are_not_vacuous():
    """A wrong pairing must fail the same thresholds (the check can fail)."""
    items = list(_in_memory(range(6), SynthSettings()))
    shifted = [(n, w, t, fps, [x + 0.4 for x in a], [x + 0.4 for x in v]) for n, w, t, fps, a, v in items]
    audio_f1, video_f1, _ = _score(shifted)
    assert audio_f1 < F1_MIN and video_f1 < F1_MIN
