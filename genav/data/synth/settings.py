"""Settings of the synthetic audio-visual world."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from genav.config import Config
from genav.errors import ConfigError

EVENT_TYPES: tuple[str, ...] = (
    "impact",
    "bounce",
    "drum",
    "door",
    "flash",
    "footsteps",
    "slide",
    "roll",
    "engine",
)
"""Visible event types: each sound has a cause on screen."""

TEXTURES: tuple[str, ...] = ("rain", "wind", "crowd")
"""Background textures: continuous sounds, drawn or off-screen."""


@dataclasses.dataclass(frozen=True)
class SynthSettings(Config):
    """How clips of the synthetic world are made.

    ``difficulty`` in 0..1 is the chance of a silent distractor motion and, separately, of
    sounds from an off-screen source; at 0 every sound has a visible cause and every burst of
    motion a sound. ``p_texture`` is the chance of a background texture and ``p_offscreen`` the
    chance that it is off-screen (named only in the caption).

    Silent picture changes (:mod:`genav.data.synth.camera`), each with its own chance per clip:
    ``p_cut`` scene cuts, ``p_pan`` a camera pan or shake, ``p_flicker`` lighting flicker,
    ``p_noise`` sensor noise; ``p_textured`` a textured wall (stripes, checks or blotches).
    ``flicker_brightness`` > 0: half of the flickering clips also swing in brightness by up to this
    share of full scale, with flashes, clipped at black and white (harsher than a gain flicker).
    ``p_silent`` is the chance of a clip with no sound source at all (only silent motion, and a
    texture if one is drawn). ``p_dub`` is the chance of a dubbed clip: each source keeps its
    picture and its event times but sounds like another kind of source (a bouncing ball heard as a
    drum), and the caption names what is heard, so the words, not the picture, say what the sound
    is. ``fps_choices``: each clip draws its frame rate from these (several native rates in one
    data set); empty = every clip at ``fps``. All default to off, which keeps the clips of earlier
    versions bit for bit.
    """

    model_type: ClassVar[str] = "synth"

    duration: float = 4.0
    fps: int = 10
    width: int = 64
    height: int = 64
    sample_rate: int = 16000
    n_events: tuple[int, int] = (2, 5)
    difficulty: float = 0.0
    p_texture: float = 0.4
    p_offscreen: float = 0.5
    event_types: tuple[str, ...] = EVENT_TYPES
    textures: tuple[str, ...] = TEXTURES
    max_sources: int = 2
    p_cut: float = 0.0
    p_pan: float = 0.0
    p_flicker: float = 0.0
    flicker_brightness: float = 0.0
    p_noise: float = 0.0
    p_textured: float = 0.0
    p_silent: float = 0.0
    p_dub: float = 0.0
    fps_choices: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        checks = [
            (1.0 <= self.duration <= 60.0, f"duration must be in 1..60 s, got {self.duration}"),
            (8 <= self.fps <= 30, f"fps must be in 8..30, got {self.fps}"),
            (
                all(8 <= f <= 30 for f in self.fps_choices),
                f"fps_choices must be in 8..30, got {self.fps_choices}",
            ),
            (
                32 <= self.width <= 1024 and self.width % 2 == 0,
                f"width must be even, 32..1024, got {self.width}",
            ),
            (
                32 <= self.height <= 1024 and self.height % 2 == 0,
                f"height must be even, 32..1024, got {self.height}",
            ),
            (
                8000 <= self.sample_rate <= 48000,
                f"sample_rate must be in 8000..48000, got {self.sample_rate}",
            ),
            (
                len(self.n_events) == 2 and 1 <= self.n_events[0] <= self.n_events[1] <= 12,
                f"n_events must be (lo, hi) with 1 <= lo <= hi <= 12, got {self.n_events}",
            ),
            (0.0 <= self.difficulty <= 1.0, f"difficulty must be in 0..1, got {self.difficulty}"),
            (0.0 <= self.p_texture <= 1.0, f"p_texture must be in 0..1, got {self.p_texture}"),
            (0.0 <= self.p_offscreen <= 1.0, f"p_offscreen must be in 0..1, got {self.p_offscreen}"),
            (1 <= self.max_sources <= 3, f"max_sources must be in 1..3, got {self.max_sources}"),
            *(
                (0.0 <= getattr(self, name) <= 1.0, f"{name} must be in 0..1, got {getattr(self, name)}")
                for name in ("p_cut", "p_pan", "p_flicker", "flicker_brightness", "p_noise", "p_textured", "p_silent",
                             "p_dub")
            ),
            (len(self.event_types) > 0, "event_types must not be empty"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"SynthSettings: {message}")
        unknown = sorted(set(self.event_types) - set(EVENT_TYPES))
        if unknown:
            raise ConfigError(
                f"SynthSettings: unknown event types {unknown}; known: {', '.join(EVENT_TYPES)}"
            )
        unknown = sorted(set(self.textures) - set(TEXTURES))
        if unknown:
            raise ConfigError(f"SynthSettings: unknown textures {unknown}; known: {', '.join(TEXTURES)}")
        if self.duration * min((self.fps, *self.fps_choices)) < 12:
            raise ConfigError(
                f"SynthSettings: a clip needs at least 12 frames (duration * fps), got "
                f"{self.duration * min((self.fps, *self.fps_choices)):g}"
            )

    @property
    def n_frames(self) -> int:
        return int(round(self.duration * self.fps))

    @property
    def n_samples(self) -> int:
        return int(round(self.duration * self.sample_rate))
