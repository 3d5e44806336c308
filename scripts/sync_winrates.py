"""Own audio vs the same audio 0.5 s late vs another clip's audio: how often each measure prefers own.

Reads the folder written by ``scripts/make_sync_clips.py`` (own/shifted/swapped manifests). Each
clip's flow trajectory is computed once and scored with each pairing by the same functions the
commands use (``genav eval sync``, ``genav eval av-align --protocol reference|genav``). Usage::

    python scripts/sync_winrates.py OUT [--json results.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    from genav.eval.detectors.av_align_clip import score_clip
    from genav.eval.detectors.onsets import load_audio
    from genav.eval.detectors.optical_flow import flow_trajectory
    from genav.eval.detectors.sync_measure import score_sync

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    pairings = {p: _rows(args.folder / f"{p}.jsonl") for p in ("own", "shifted", "swapped")}
    measures = {
        "sync score": lambda traj, wave: score_sync(traj, wave).score,
        "AV-Align reference": lambda traj, wave: score_clip(traj, wave, protocol="reference").score,
        "AV-Align genav": lambda traj, wave: score_clip(traj, wave, protocol="genav").score,
    }
    per_clip = []
    for i, own in enumerate(pairings["own"]):
        traj = flow_trajectory(args.folder / own["file"])
        scores = {}
        for pairing, rows in pairings.items():
            wave = load_audio(args.folder / rows[i]["audio"])
            scores[pairing] = {m: fn(traj, wave) for m, fn in measures.items()}
        per_clip.append({"name": own["name"], "scores": scores})
        print(own["name"], json.dumps(scores))
    summary = {}
    n = len(per_clip)
    for m in measures:
        value = lambda c, p, m=m: -1e9 if c["scores"][p][m] is None else c["scores"][p][m]  # noqa: E731
        means = {p: sum(value(c, p) for c in per_clip) / n for p in pairings}
        wins_shift = sum(value(c, "own") > value(c, "shifted") for c in per_clip)
        wins_swap = sum(value(c, "own") > value(c, "swapped") for c in per_clip)
        summary[m] = {"mean": means, "own_beats_shifted": wins_shift, "own_beats_swapped": wins_swap, "n": n}
    print(
        "\n| measure | own | shifted 0.5 s | swapped | own > shifted | own > swapped |\n|---|---|---|---|---|---|"
    )
    for m, s in summary.items():
        mean = s["mean"]
        print(f"| {m} | {mean['own']:.3f} | {mean['shifted']:.3f} | {mean['swapped']:.3f} | "
              f"{s['own_beats_shifted']}/{n} | {s['own_beats_swapped']}/{n} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "clips": per_clip}, indent=1))


if __name__ == "__main__":
    main()
