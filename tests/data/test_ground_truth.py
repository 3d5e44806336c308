"""The ground truth is right under AV-Align's own detectors.

Audio: librosa onsets (defaults, 22050 Hz) match the true on-screen event times (F1 >= 0.9 at
+-50 ms). Video: Farneback flow peaks fall within one frame of the on-screen events (F1 >= 0.9).
The default run checks a few clips in memory and through written mp4 files; the slow run checks
50 clips through the files (as the evaluator reads them) and other frame rates.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from genav.data.synth import SynthSettings, generate_clip, write_synth_dataset

from .detectors import f1, flow_peaks, match, onset_times

F1_MIN = 0.9


def _score(items) -> tuple[float, float, list]:
    """items: (audio, sample_rate, frames, fps, audible_times, visible_times) per clip."""
    audio_counts, video_counts, misses = np.zeros(3, int), np.zeros(3, int), []
    for name, audio, sr, frames, fps, audible, visible in items:
        a = np.array(match(onset_times(audio, sr), audible, 0.05))
        v = np.array(match(flow_peaks(frames, fps), visible, 1.0 / fps))
        audio_counts += a
        video_counts += v
        if a[1:].any() or v[1:].any():
            misses.append((name, a.tolist(), v.tolist()))
    return f1(*audio_counts), f1(*video_counts), misses


def _in_memory(seeds, settings):
    for seed in seeds:
        clip = generate_clip(seed, settings)
        audible = [e.time for e in clip.events if e.audible]
        visible = [e.time for e in clip.events if e.on_screen]
        yield seed, clip.audio, clip.sample_rate, clip.frames, clip.fps, audible, visible


def _from_files(folder: Path):
    """Read a written data set as AV-Align does: OpenCV frames (BGR -> RGB), the wav beside."""
    import soundfile as sf

    for line in (folder / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        cap = cv2.VideoCapture(str(folder / row["file"]))
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame[..., ::-1])
        fps = cap.get(cv2.CAP_PROP_FPS)
        cap.release()
        audio, sr = sf.read(str(folder / row["audio"]), dtype="float32")
        events = row["events"]
        on_screen = [e["time"] for e in events if e["on_screen"] and e["audible"]]
        yield row["id"], audio, sr, np.stack(frames), fps, on_screen, on_screen


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
