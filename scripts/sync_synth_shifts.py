"""Known shifts on the synthetic world: is the measured offset within one frame of the shift?

Reads a ``genav data synth`` folder (its manifest), delays or advances each clip's audio by known
shifts and runs the sync measure (``genav eval sync``'s function) on the clip's own flow trajectory.
Also reports own vs 0.5 s-shifted vs swapped (next clip's) audio. Usage::

    genav data synth /tmp/synth_test --n 60 --split test
    python scripts/sync_synth_shifts.py /tmp/synth_test --shifts=-1,-0.5,-0.2,0,0.3,0.7
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def shifted(wave: np.ndarray, seconds: float, rate: int) -> np.ndarray:
    """Audio ``seconds`` late (> 0) or early (< 0), same length, zero-filled."""
    n = int(round(seconds * rate))
    if n >= 0:
        return np.concatenate([np.zeros(n, wave.dtype), wave])[: len(wave)]
    return np.concatenate([wave[-n:], np.zeros(-n, wave.dtype)])


def main() -> None:
    from genav.eval.detectors.onsets import SAMPLE_RATE, load_audio
    from genav.eval.detectors.optical_flow import flow_trajectory
    from genav.eval.detectors.sync_measure import score_sync

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--shifts", default="-1,-0.5,-0.2,0,0.3,0.7")
    args = ap.parse_args()
    shifts = [float(s) for s in args.shifts.split(",")]
    rows = [
        json.loads(line) for line in (args.folder / "manifest.jsonl").read_text().splitlines() if line.strip()
    ]
    clips = [(flow_trajectory(args.folder / r["file"]), load_audio(args.folder / r["audio"])) for r in rows]
    within, total, beats_shift, beats_swap = 0, 0, 0, 0
    for i, (traj, wave) in enumerate(clips):
        for s in shifts:
            offset = score_sync(traj, shifted(wave, s, SAMPLE_RATE)).offset_s
            total += 1
            within += offset is not None and abs(offset - s) <= 1.0 / traj.fps + 1e-9
        score = lambda w, traj=traj: score_sync(traj, w).score or -1e9  # noqa: E731
        other = np.resize(clips[(i + 1) % len(clips)][1], len(wave))
        own = score(wave)
        beats_shift += own > score(shifted(wave, 0.5, SAMPLE_RATE))
        beats_swap += own > score(other)
    n = len(clips)
    print(f"{n} clips, shifts {shifts}: offset within one frame in {within}/{total} ({within / total:.1%})")
    print(f"own audio beats 0.5 s-shifted in {beats_shift}/{n}, beats swapped in {beats_swap}/{n}")


if __name__ == "__main__":
    main()
