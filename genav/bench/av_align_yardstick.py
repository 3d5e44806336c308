"""Benchmark yardstick: AV-Align computed the way the published script does it, in its own process.

Not used by genav's evaluators. ``genav bench eval`` runs this file as a separate program
(``python av_align_yardstick.py FOLDER OUT.json``) next to ``genav eval av-align`` on the same
clips, to measure genav against one process of the reference computation. It imports only what
the published script (TempoTokens ``av_align.py``, as described in EVALUATION.md) imports --
OpenCV, librosa, numpy -- and none of genav, so its start-up is the script's start-up.

The steps, written here from the published definition (not copied): every frame of a clip is
decoded with ``cv2.VideoCapture`` into a list (native size, BGR), then for each frame pair both
frames are converted to grey and Farneback flow (0.5, 3, 15, 3, 5, 1.2, 0) is computed, its
magnitude taken with ``cv2.cartToPolar`` and averaged with ``cv2.mean``; the trajectory starts
with the first pair's value (computed again for F[0], as the script evaluates it twice).
Video peaks: F[i-1] < F[i] > F[i+1] and F[i] >= 0.1, at i / fps. Audio: ``librosa.load`` at
22050 Hz, ``onset_strength`` and ``onset_detect`` with defaults, ``frames_to_time``. Each audio
peak takes the first unused video peak with ``v - 1/fps < a < v + 1/fps``; score
``I / (A + V - I)``. A clip with neither audio nor video peaks is recorded as ``None`` (the script
raises ZeroDivisionError there).
"""

import json
import sys
from pathlib import Path

import cv2
import librosa


def _frames(path):
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while cap.isOpened():
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def _motion(first, second):
    a = cv2.cvtColor(first, cv2.COLOR_BGR2GRAY)
    b = cv2.cvtColor(second, cv2.COLOR_BGR2GRAY)
    flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    magnitude, _angle = cv2.cartToPolar(flow[..., 0], flow[..., 1])
    return cv2.mean(magnitude)[0]


def _video_peaks(frames, fps):
    trajectory = [_motion(frames[0], frames[1])]
    trajectory += [_motion(frames[i - 1], frames[i]) for i in range(1, len(frames))]
    return [
        i / fps
        for i in range(1, len(trajectory) - 1)
        if trajectory[i - 1] < trajectory[i] > trajectory[i + 1] and trajectory[i] >= 0.1
    ]


def _audio_peaks(path):
    wave, sr = librosa.load(str(path), sr=22050)
    envelope = librosa.onset.onset_strength(y=wave, sr=sr)
    return librosa.frames_to_time(librosa.onset.onset_detect(onset_envelope=envelope, sr=sr), sr=sr)


def _score(audio_peaks, video_peaks, fps):
    used = [False] * len(video_peaks)
    matched = 0
    for a in audio_peaks:
        for j, v in enumerate(video_peaks):
            if not used[j] and v - 1 / fps < a < v + 1 / fps:
                used[j] = True
                matched += 1
                break
    union = len(audio_peaks) + len(video_peaks) - matched
    return matched / union if union else None


def main(folder, out):
    scores = {}
    for video in sorted(Path(folder).glob("*.mp4")):
        frames, fps = _frames(video)
        audio_peaks = _audio_peaks(video.with_suffix(".wav"))
        scores[video.stem] = _score(audio_peaks, _video_peaks(frames, fps), fps)
    Path(out).write_text(json.dumps({"scores": scores}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
