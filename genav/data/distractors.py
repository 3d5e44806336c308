"""Distractor clips: picture changes with no impacts, for checking that a V2A model stays quiet.

Two kinds, both silent and free of any causal event:

* synthetic-world clips with no sound source, only silent motion (a gust-knocked balloon or
  flag), scene cuts, camera pans and shakes, lighting flicker, sensor noise, textured walls
  (:mod:`genav.data.synth.camera`);
* ffmpeg's built-in test sources (``testsrc2``, ``mandelbrot``, ``smptebars``, ``life``) through
  filters that mimic real footage without impacts: hard cuts between sources, a camera pan
  (a moving crop), a handheld shake, lighting flicker (``eq`` brightness), and heavy
  compression plus temporal noise (``noise`` then libx264 at CRF 45); each once over the
  animated sources (``ff-*``: their moving patterns are motion a model may rightly hear) and
  once over their first picture held still (``still-*``: the effect alone). Random sources and
  noise are seeded, so the clips are the same on every run.

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
    """One distractor clip: ``name``, what it shows, the video file, and its ``group``: ``animated``
    (effects over moving test sources), ``still`` (the same over their first picture) or
    ``synthetic``."""

    name: str
    description: str
    path: Path
    group: str


def _source(spec: str, seconds: float, fps: int, still: bool) -> str:
    """An ffmpeg source filter ``spec`` cut to ``seconds``; ``still``: its first picture held (a frozen
    test source, so that only the filter applied after it changes the picture)."""
    freeze = f",trim=end_frame=1,loop=loop=-1:size=1,setpts=N/{fps}/TB" if still else ""
    return f"{spec}{freeze},trim=duration={seconds},setpts=PTS-STARTPTS"


def _filters(seconds: float, fps: int, *, still: bool = False) -> dict[str, tuple[str, str, str]]:
    """name -> (description, ffmpeg -filter_complex graph ending in [v], group); ``still``: over frozen
    sources."""
    third = seconds / 3

    def src(name: str, size: str = SIZE, d: float = seconds) -> str:
        return _source(f"{name}=size={size}:rate={fps}", d, fps, still)

    big = "640x480"
    life = f"life=size={SIZE}:rate={fps}:seed=1:mold=10:ratio=0.2:death_color=#202020:life_color=#c0c0c0"
    graphs = {
        "cuts": ("hard cuts between three test sources every ~1/3 of the clip",
                 f"{src('testsrc2', d=third)},format=yuv420p,setsar=1[a];{src('smptebars', d=third)},format=yuv420p,"
                 f"setsar=1[b];{src('mandelbrot', d=third)},format=yuv420p,setsar=1[c];[a][b][c]concat=n=3:v=1[v]"),
        "pan": ("a steady camera pan across a larger picture",
                f"{src('testsrc2', big)},crop=320:240:x='min(t*40,320)':y='t*10'[v]"),
        "shake": ("handheld shake: a crop jumping a few pixels, settling",
                  f"{src('mandelbrot', big)},"
                  "crop=320:240:x='160+12*sin(9*t)*exp(-mod(t,1.5))':y='120+8*cos(7*t)*exp(-mod(t,1.5))'[v]"),
        "flicker": ("lighting flicker: brightness dips and flashes",
                    f"{src('testsrc2')},eq=brightness='0.25*sin(2*PI*t*3)+0.3*lt(mod(t,1.7),0.08)':eval=frame[v]"),
        "noise": ("heavy compression and temporal noise over a cellular automaton",
                  f"{_source(life, seconds, fps, still)},noise=alls=30:allf=t:all_seed=1[v]"),
    }  # fmt: skip
    group, prefix, note = ("still", "still-", " (sources frozen)") if still else ("animated", "ff-", " (sources animated)")
    return {prefix + name: (text + note, graph, group) for name, (text, graph) in graphs.items()}


def write_ffmpeg_distractors(folder: str | Path, *, seconds: float = 8.0, fps: int = 25) -> list[DistractorClip]:
    """Write the ffmpeg-made distractor clips (silent mp4, 320x240) into ``folder``: the five
    effects over animated test sources (``ff-*``), then the same over still pictures (``still-*``:
    the effect alone, since the test sources' own animation is motion a model may rightly hear).

    Raises MediaError when ffmpeg fails on a graph.
    """
    from genav.media import ffmpeg_exe

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    graphs = {**_filters(seconds, fps), **_filters(seconds, fps, still=True)}
    for name, (text, graph, group) in graphs.items():
        path = folder / f"{name}.mp4"
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-filter_complex", graph,
               "-map", "[v]", "-t", f"{seconds}", "-r", str(fps), "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-crf", "45" if name.endswith("-noise") else "23", str(path)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            raise MediaError(f"ffmpeg could not make {name}: {proc.stderr.decode(errors='replace').strip()[-300:]}")
        clips.append(DistractorClip(name, text, path, group))
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
                                  Path(folder) / row["files"]["silent"], "synthetic"))  # fmt: skip
    return out
