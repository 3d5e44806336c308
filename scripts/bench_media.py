"""Streaming-read benchmark for genav.media (also reachable as `genav bench media` once wired).

    python scripts/bench_media.py [--minutes 10] [--fps 8] [--size 64 64] [--json]

Makes a long 720p test clip in a temp folder, reads it with iter_frames at a low fps and size,
and prints time and peak RSS (and the ffmpeg binary's pipe on the same clip as a yardstick).
Exit code 1 when the reading process (and its children) peak above --max-rss-mb.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genav.bench.media import bench_stream_read  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=8.0)
    parser.add_argument("--size", type=int, nargs=2, default=(64, 64), metavar=("W", "H"))
    parser.add_argument("--max-rss-mb", type=float, default=500.0)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = bench_stream_read(args.minutes, fps=args.fps, size=tuple(args.size))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        clip, read = result["clip"], result["read"]
        print(
            f"clip: {clip['minutes']:g} min {clip['width']}x{clip['height']} @ {clip['fps']:g} fps "
            f"({clip['frames']} frames), made in {result['make_clip_s']} s"
        )
        print(
            f"read: {read['frames']} frames at {read['fps']:g} fps, {read['size'][0]}x{read['size'][1]} "
            f"in {result['read_s']} s ({result['decode_fps']} source frames/s, {result['cpu_s']} CPU s)"
        )
        print(
            f"peak RSS: python {result['peak_rss_python_mb']} MB, children {result['peak_rss_children_mb']} MB, "
            f"total {result['peak_rss_total_mb']} MB (limit {args.max_rss_mb:g} MB)"
        )
        pipe = result["ffmpeg_pipe"]
        print(
            f"ffmpeg pipe (yardstick): {pipe['read_s']} s ({pipe['decode_fps']} source frames/s, {pipe['cpu_s']} CPU s); "
            f"genav / pipe speed {result['speed_vs_ffmpeg_pipe']}"
        )
    return 0 if result["peak_rss_total_mb"] < args.max_rss_mb else 1


if __name__ == "__main__":
    raise SystemExit(main())
