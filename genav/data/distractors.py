"""Distractor clips: picture changes with no impacts, for checking that a V2A model stays quiet.

Two kinds, both silent and free of any causal event:

* synthetic-world clips with no sound source, only silent motion (a gust-knocked balloon or
  flag), scene cuts, camera pans and shakes, lighting flicker, sensor noise, textured walls
  (:mod:`genav.data.synth.camera`);
* ffmpeg's built-in test sources (``testsrc2``, ``mandelbrot``, ``smptebars``, ``life``) through
  filters that mimic real footage without impacts: hard cuts between sources, a camera pan
  (a moving crop), a handheld shake, lighting flicker (``eq`` brightness), and heavy
  compression plus temporal noise (``noise`` then libx264 at CRF 45).

A model that learned "only causal motion makes sound" gives these clips (almost) no onsets.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from genav.errors import MediaError

SIZE = "320x240"


@dataclass(frozen=True)
class DistractorClip:
    """One distractor clip: ``name``, what it shows, the video file."""

    name: str
    description: str
    path: Path


def _filters(seconds: float, fps: int) -> dict[str, tuple[str, str]]:
    """name -> (description, ffmpeg -filter_complex graph ending in [v])."""
    third = seconds / 3
    src = f"size={SIZE}:rate={fps}"
    big = f"size=640x480:rate={fps}"
    return {
        "ff-cuts": ("hard cuts between three test sources every ~1/3 of the clip",
                    f"testsrc2={src}:d={third},format=yuv420p,setsar=1[a];smptebars={src}:d={third},format=yuv420p,"
                    f"setsar=1[b];mandelbrot={src},trim=duration={third},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[c];"
                    "[a][b][c]concat=n=3:v=1[v]"),
        "ff-pan": ("a steady camera pan across a larger picture",
                   f"testsrc2={big}:d={seconds},crop=320:240:x='min(t*40,320)':y='t*10'[v]"),
        "ff-shake": ("handheld shake: a crop jumping a few pixels, settling",
                     f"mandelbrot={big},trim=duration={seconds},"
                     "crop=320:240:x='160+12*sin(9*t)*exp(-mod(t,1.5))':y='120+8*cos(7*t)*exp(-mod(t,1.5))'[v]"),
        "ff-flicker": ("lighting flicker: brightness dips and flashes",
                       f"testsrc2={src}:d={seconds},eq=brightness='0.25*sin(2*PI*t*3)+0.3*lt(mod(t,1.7),0.08)':eval=frame[v]"),
        "ff-noise": ("heavy compression and temporal noise over cellular-automaton motion",
                     f"life=size={SIZE}:rate={fps}:mold=10:ratio=0.2:death_color=#202020:life_color=#c0c0c0,"
                     f"trim=duration={seconds},noise=alls=30:allf=t[v]"),
    }  # fmt: skip


def write_ffmpeg_distractors(folder: str | Path, *, seconds: float = 8.0, fps: int = 25) -> list[DistractorClip]:
    """Write the ffmpeg-made distractor clips (silent mp4, 320x240) into ``folder``.

    Raises MediaError when ffmpeg fails on a graph.
    """
    from genav.media import ffmpeg_exe

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for name, (text, graph) in _filters(seconds, fps).items():
        path = folder / f"{name}.mp4"
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-filter_complex", graph,
               "-map", "[v]", "-t", f"{seconds}", "-r", str(fps), "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-crf", "45" if name == "ff-noise" else "23", str(path)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            raise MediaError(f"ffmpeg could not make {name}: {proc.stderr.decode(errors='replace').strip()[-300:]}")
        clips.append(DistractorClip(name, text, path))
    return clips


def write_synth_distractors(folder: str | Path, n: int, *, seed: int = 0, seconds: float = 8.0,
                            fps: int = 25) -> list[DistractorClip]:  # fmt: skip
    """``n`` silent synthetic-world clips (test seeds) with every silent picture change switched on."""
    from genav.data.manifest import iter_manifest_rows
    from genav.data.synth import SynthSettings, write_synth_dataset

    settings = SynthSettings(
        duration=seconds, fps=fps, width=128, height=128, p_silent=1.0, p_texture=0.0, p_cut=0.7, p_pan=0.7,
        p_flicker=0.7, p_noise=0.5, p_textured=0.7,
    )  # fmt: skip
    manifest = write_synth_dataset(folder, n, seed, "test", settings, silent=True, progress=False, workers=1)
    out = []
    for _, row in iter_manifest_rows(manifest):
        kinds = sorted({e["type"] for e in row["events"]})
        out.append(DistractorClip(f"synth-{row['id']}", "synthetic, silent: " + ", ".join(kinds),
                                  Path(folder) / row["files"]["silent"]))  # fmt: skip
    return out
