"""Build sync test clips from real recordings (sfx2) with pictures whose motion is caused by them.

No camera footage can be had offline, so the *sound* is real and the *picture* is made:

- ``struck``: a textured block struck by a mallet at each hit time. The mallet swings down before
  the hit (motion that precedes the sound, as in real footage), the block jolts and rings down
  after it. Hit times are the schedule the recordings were placed at (not detected onsets).
- ``walker``: a figure that steps at each footstep / hit time (body bob + stride), camera following.
- ``visualiser``: ffmpeg's ``showwaves`` of the soundtrack (motion computed from the sound itself).

Harder variants (``--hard`` share of the clips) mix a real background recording (fire, crickets,
river, foliage) under the hits, shake the camera by hand-held noise and add a distractor object that
moves without sound. For each clip three pairings are written as AV-Align manifests:
``own.jsonl`` (its own track), ``shifted.jsonl`` (the same track 0.5 s late) and ``swapped.jsonl``
(the next clip's track). Usage::

    python scripts/make_sync_clips.py OUT --sfx2 ../shared/data/sfx2 --n 30
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import numpy as np

SR = 22050
FPS = 25
W, H = 320, 240
HIT_LABELS = {
    "struck": ["african drum hit", "tom drum", "snare drum", "kick drum", "tabla hit", "hammering wood",
               "axe chopping wood", "pickaxe on stone", "weapon hitting wooden shield", "projectile hitting wood",
               "weapon hitting metal shield", "pickaxe on metal ore", "hand percussion", "rim click"],
    "walker": ["footstep on grass", "footstep on gravel"],
    "visualiser": ["african drum hit", "tom drum", "snare drum", "closed hi-hat", "tabla hit", "hammering wood",
                   "axe chopping wood", "footstep on gravel", "swords clashing"],
}  # fmt: skip
BACKGROUNDS = [
    "fire crackling",
    "crickets at night",
    "river stream",
    "rustling foliage",
    "forest birds ambience",
]


def load_sfx2(root: Path) -> dict[str, list[dict]]:
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines() if line.strip()]
    by_label: dict[str, list[dict]] = {}
    for row in rows:
        by_label.setdefault(row["label"], []).append(row)
    return by_label


def read_mono(root: Path, row: dict) -> np.ndarray:
    from genav.media import read_audio, resample

    audio = read_audio(root / row["file"])
    return np.asarray(resample(audio.samples.reshape(-1), audio.sample_rate, SR), dtype=np.float32)


def hit_times(rng: np.random.Generator, duration: float, n: int, min_gap: float) -> list[float]:
    """n irregular hit times in [0.6, duration - 0.8] at least ``min_gap`` apart."""
    for _ in range(1000):
        times = np.sort(rng.uniform(0.6, duration - 0.8, n))
        if np.all(np.diff(times) >= min_gap):
            return [round(float(t), 3) for t in times]
    return [round(0.6 + i * min_gap, 3) for i in range(n)]


def render_track(root, by_label, label, times, duration, rng, background):
    wave = np.zeros(int(duration * SR), dtype=np.float32)
    pool = by_label[label]
    sources = []
    for t in times:
        row = pool[int(rng.integers(len(pool)))]
        hit = read_mono(root, row)[: int(0.9 * SR)]
        hit = hit / (np.abs(hit).max() + 1e-9) * rng.uniform(0.4, 0.9)
        start = int(t * SR)
        stop = min(len(wave), start + len(hit))
        wave[start:stop] += hit[: stop - start]
        sources.append(row["file"])
    if background:
        row = by_label[background][int(rng.integers(len(by_label[background])))]
        bg = np.resize(read_mono(root, row), len(wave))
        wave += bg / (np.abs(bg).max() + 1e-9) * 0.25
        sources.append(row["file"])
    return np.clip(wave, -1, 1), sources


def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    base = rng.uniform(60, 200, 3)
    noise = rng.normal(0, 25, (h, w, 1))
    stripes = 20 * np.sin(np.arange(w)[None, :, None] / rng.uniform(3, 8))
    return np.clip(base + noise + stripes, 0, 255).astype(np.uint8)


def _paste(frame: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = patch.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = patch[y0 - y : y1 - y, x0 - x : x1 - x]


def _scene(rng, hard):
    background = _texture(rng, H + 40, W + 40) // 2
    shake = np.cumsum(rng.normal(0, 0.6, (10000, 2)), axis=0) * (1.0 if hard else 0.0)
    shake = np.clip(shake, -15, 15)
    distractor = (_texture(rng, 30, 30), sorted(rng.uniform(0.5, 7, 2))) if hard else None
    return background, shake, distractor


def _draw_common(i, background, shake, distractor):
    dx, dy = shake[i]
    frame = background[20 + int(dy) : 20 + int(dy) + H, 20 + int(dx) : 20 + int(dx) + W].copy()
    if distractor is not None:  # slides across without a sound, starting at a random time
        patch, (t0, _) = distractor
        t = i / FPS
        x = 10 + int(max(0.0, min(1.0, (t - t0) / 1.5)) * (W - 60))
        _paste(frame, patch, x, 20)
    return frame


def struck_frames(times, duration, rng, hard):
    background, shake, distractor = _scene(rng, hard)
    block, mallet = _texture(rng, 60, 90), _texture(rng, 50, 16)
    for i in range(int(duration * FPS)):
        t = i / FPS
        frame = _draw_common(i, background, shake, distractor)
        jolt, lift = 0.0, 60.0
        for h in times:
            if 0 <= t - h < 0.5:  # block rings down after the hit
                jolt += 8 * np.exp(-(t - h) / 0.08) * np.cos(2 * np.pi * 9 * (t - h))
            if -0.35 <= t - h < 0:  # mallet swings down before the hit
                lift = min(lift, 60 * (h - t) / 0.35)
            elif 0 <= t - h < 0.3:  # and lifts after it
                lift = min(lift, 60 * (t - h) / 0.3)
        _paste(frame, block, W // 2 - 45 + int(jolt), H // 2 + int(abs(jolt) / 2))
        _paste(frame, mallet, W // 2 - 8, H // 2 - 50 - int(lift))
        yield frame


def walker_frames(times, duration, rng, hard):
    background, shake, distractor = _scene(rng, hard)
    body, leg = _texture(rng, 70, 30), _texture(rng, 40, 10)
    for i in range(int(duration * FPS)):
        t = i / FPS
        frame = _draw_common(i, background, shake, distractor)
        prev = [h for h in times if h <= t]
        since = t - prev[-1] if prev else 1.0
        bob = int(6 * np.exp(-since / 0.07))  # the body drops on each foot strike
        stride = 18 * (len(prev) % 2 * 2 - 1)
        swing = int(stride * min(1.0, since / 0.25))
        x = 40 + int(len(prev) * 25)
        _paste(frame, body, x, H // 2 - 60 + bob)
        _paste(frame, leg, x + 10 - swing // 2, H // 2 + 10 + bob)
        _paste(frame, leg, x + 10 + swing // 2, H // 2 + 10)
        yield frame


def write_visualiser(wav: Path, out: Path) -> None:
    from genav.media import ffmpeg_exe

    graph = f"[0:a]showwaves=s={W}x{H}:mode=cline:rate={FPS}:colors=white,format=yuv420p[v]"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(wav), "-filter_complex", graph,
                    "-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-c:a", "aac", "-shortest", str(out)],
                   check=True)  # fmt: skip


def shifted(wave: np.ndarray, seconds: float) -> np.ndarray:
    n = int(round(seconds * SR))
    return np.concatenate([np.zeros(n, np.float32), wave])[: len(wave)]


def main() -> None:
    from genav.media import Audio, write_audio, write_video

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument(
        "--sfx2", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "sfx2"
    )
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--hard", type=float, default=0.4, help="share of hard clips")
    args = ap.parse_args()
    by_label = load_sfx2(args.sfx2)
    rng = np.random.default_rng(args.seed)
    kinds = ["struck", "walker", "visualiser"]
    for sub in ("clips", "shifted", "swapped"):
        (args.out / sub).mkdir(parents=True, exist_ok=True)
    meta, waves = [], []
    for i in range(args.n):
        kind = kinds[i % 3]
        hard = bool(rng.random() < args.hard)
        label = HIT_LABELS[kind][int(rng.integers(len(HIT_LABELS[kind])))]
        gap = 0.35 if kind == "walker" else 0.45
        times = hit_times(rng, args.duration, int(rng.integers(4, 9)), gap)
        bg = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))] if hard else None
        wave, sources = render_track(args.sfx2, by_label, label, times, args.duration, rng, bg)
        name = f"{i:03d}_{kind}_{label.replace(' ', '-')}" + ("_hard" if hard else "")
        wav = write_audio(args.out / "clips" / f"{name}.wav", Audio(wave, SR), overwrite=True)
        mp4 = args.out / "clips" / f"{name}.mp4"
        if kind == "visualiser":
            write_visualiser(wav, mp4)
        else:
            frames = (struck_frames if kind == "struck" else walker_frames)(times, args.duration, rng, hard)
            write_video(mp4, frames, FPS, audio=Audio(wave, SR), overwrite=True)
        waves.append(wave)
        meta.append({"name": name, "kind": kind, "label": label, "hard": hard, "background": bg,
                     "hit_times": times, "sources": sources})  # fmt: skip
    own, shift, swap = [], [], []
    for i, m in enumerate(meta):
        name = m["name"]
        write_audio(args.out / "shifted" / f"{name}.wav", Audio(shifted(waves[i], 0.5), SR), overwrite=True)
        other = waves[(i + 1) % len(waves)]
        write_audio(
            args.out / "swapped" / f"{name}.wav", Audio(np.resize(other, len(waves[i])), SR), overwrite=True
        )
        own.append({"name": name, "file": f"clips/{name}.mp4", "audio": f"clips/{name}.wav"})
        shift.append({"name": name, "file": f"clips/{name}.mp4", "audio": f"shifted/{name}.wav"})
        swap.append({"name": name, "file": f"clips/{name}.mp4", "audio": f"swapped/{name}.wav"})
    for fname, rows in (("own", own), ("shifted", shift), ("swapped", swap)):
        (args.out / f"{fname}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (args.out / "clips.json").write_text(json.dumps(meta, indent=1))
    print(f"wrote {len(meta)} clips to {args.out}")


if __name__ == "__main__":
    main()
