"""``generate_clip``: one deterministic clip of the synthetic audio-visual world."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from genav.data.synth import captions
from genav.data.synth.actors import Actor, BounceActor, DrumActor, ImpactActor, RollActor, SlideActor
from genav.data.synth.camera import apply_camera, plan_camera
from genav.data.synth.canvas import Canvas, luminance, vertical_gradient, wall_pattern
from genav.data.synth.scene import (
    DistractorActor,
    DoorActor,
    EngineActor,
    FlashActor,
    OffscreenActor,
    Texture,
    WalkerActor,
)
from genav.data.synth.settings import SynthSettings
from genav.data.synth.world import Event, World
from genav.errors import ConfigError, InputError

# Planning order: sources with rigid rhythms claim their frames first.
ACTORS: dict[str, type[Actor]] = {
    "footsteps": WalkerActor,
    "bounce": BounceActor,
    "engine": EngineActor,
    "drum": DrumActor,
    "flash": FlashActor,
    "slide": SlideActor,
    "roll": RollActor,
    "door": DoorActor,
    "impact": ImpactActor,
}
# Voices of a dubbed clip (a door slams once, so it voices single events only), and the kinds that
# sound alike, which never stand in for each other
DUB_VOICES: tuple[str, ...] = ("impact", "drum", "door", "flash", "footsteps", "slide", "roll", "engine")
_ALIKE = (frozenset({"impact", "bounce"}), frozenset({"slide", "roll"}))
_SALT = 0x6E6176  # keeps these streams apart from other users of the same integer seed
_SURFACE_WORDS = {"wooden floor": "a wooden floor", "metal grate": "a metal grate"}


@dataclasses.dataclass
class SynthClip:
    """One clip: ``frames`` (T, H, W, 3) uint8 at ``fps``, mono ``audio`` (N,) float32 in -1..1 at
    ``sample_rate``, a caption, and the ground-truth ``events`` sorted by time (their ``type`` is
    what is seen; in a dubbed clip ``voices`` maps each source to the kind of sound heard)."""

    frames: np.ndarray
    audio: np.ndarray
    sample_rate: int
    fps: int
    caption: str
    events: list[Event]
    textures: list[dict[str, Any]]
    seed: int
    settings: SynthSettings
    voices: dict[int, str] = dataclasses.field(default_factory=dict)  # dubbed: source -> kind heard

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    def event_times(self, *, on_screen: bool | None = None, audible: bool | None = None) -> list[float]:
        """Times (s) of the events that match the given flags."""
        return [
            e.time
            for e in self.events
            if (on_screen is None or e.on_screen == on_screen) and (audible is None or e.audible == audible)
        ]


def generate_clip(seed: int, settings: SynthSettings | None = None) -> SynthClip:
    """Make clip number ``seed`` of the world described by ``settings``: same seed and settings,
    same frames and audio samples, bit for bit."""
    settings = settings or SynthSettings()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    # Variants draw from streams of their own: with them off, a clip is what it always was.
    variant = np.random.default_rng([_SALT, int(seed), 300])
    if settings.fps_choices:
        settings = settings.replace(fps=int(variant.choice(settings.fps_choices)), fps_choices=())
    silent = bool(variant.random() < settings.p_silent) if settings.p_silent else False
    rng = np.random.default_rng([_SALT, int(seed)])
    world = World(settings)
    if silent:
        actors, extras = [], _silent_movers(world, rng)
    else:
        actors = _plan_sources(world, rng)
        extras = _plan_difficulty(world, rng)
    texture = None
    if settings.textures and rng.random() < settings.p_texture:
        texture = Texture(
            world, rng, str(rng.choice(settings.textures)), rng.random() >= settings.p_offscreen
        )
    voices = _dub(world, int(seed), actors)
    caption = _caption(rng, voices or actors, [] if silent else extras, texture)
    frames = _render(
        world,
        rng,
        [*actors, *[a for a in extras if a.on_screen]],
        texture,
        textured=_textured(variant, settings),
    )
    camera = plan_camera(world, int(seed), _SALT)
    frames = apply_camera(frames, camera)
    audio = _mix(world, int(seed), [*(voices or actors), *extras], texture)
    events = [e for a in [*actors, *extras] for e in a.events()] + camera.events
    events.sort(key=lambda e: (e.frame, e.source))
    textures = [] if texture is None else [{"type": texture.kind, "on_screen": texture.on_screen}]
    heard = {v.source: v.kind for v in voices or []}
    return SynthClip(
        frames, audio, settings.sample_rate, settings.fps, caption, events, textures, int(seed), settings,
        heard,
    )  # fmt: skip


def _plan_sources(world: World, rng: np.random.Generator) -> list[Actor]:
    st = world.settings
    budget = int(rng.integers(st.n_events[0], st.n_events[1] + 1))
    lanes_fit = max(1, int(world.width // (28 * world.scale)))
    n_sources = int(rng.integers(1, min(st.max_sources, budget, lanes_fit) + 1))
    kinds = list(rng.choice(st.event_types, n_sources, replace=len(st.event_types) < n_sources))
    kinds.sort(key=list(ACTORS).index)
    shares = np.ones(n_sources, dtype=int) + rng.multinomial(
        budget - n_sources, [1.0 / n_sources] * n_sources
    )
    lane_w = world.width / n_sources
    order = rng.permutation(n_sources)  # which lane each source gets
    actors: list[Actor] = []
    for j, (kind, share) in enumerate(zip(kinds, shares, strict=True)):
        lane = (lane_w * order[j] + 1.0, lane_w * (order[j] + 1) - 1.0)
        actor = ACTORS[str(kind)](world, rng, lane, source=j)
        if actor.plan(rng, int(share)):
            actors.append(actor)
    if not actors:  # nothing fitted (very short clips): each allowed type alone, on the whole frame
        for kind in st.event_types:
            actor = ACTORS[kind](world, rng, (1.0, world.width - 1.0), source=0)
            if actor.plan(rng, 1):
                actors.append(actor)
                break
        else:
            raise ConfigError(
                f"SynthSettings: no event of types {', '.join(st.event_types)} fits in {world.n_frames} frames"
            )
    return actors


def _dub(world: World, seed: int, actors: list[Actor]) -> list[Actor] | None:
    """With chance ``p_dub``, one voice per source: an actor of another kind of sound
    (:data:`DUB_VOICES`) with the source's event frames and lane, set up (so a voice's motion
    tracks, which drive e.g. an engine's hum, follow those frames) but never drawn; else None."""
    if not world.settings.p_dub or not actors:
        return None
    rng = np.random.default_rng([_SALT, seed, 301])  # a stream of its own: other draws unchanged
    if rng.random() >= world.settings.p_dub:
        return None
    voices = []
    for actor in actors:
        kinds = [
            k for k in DUB_VOICES
            if k != actor.kind and not any({k, actor.kind} <= pair for pair in _ALIKE)
            and (k != "door" or len(actor.frames) == 1)
        ]  # fmt: skip
        voice = ACTORS[str(rng.choice(kinds))](world, rng, actor.lane, source=actor.source)
        voice.voice(actor.frames, rng)
        voices.append(voice)
    return voices


def _plan_difficulty(world: World, rng: np.random.Generator) -> list[Actor]:
    extras: list[Actor] = []
    full = (1.0, world.width - 1.0)
    for cls, source in ((DistractorActor, 10), (OffscreenActor, 11)):
        if rng.random() < world.settings.difficulty:
            actor = cls(world, rng, full, source=source)
            if actor.plan(rng, int(rng.integers(1, 3))):
                extras.append(actor)
    return extras


def _silent_movers(world: World, rng: np.random.Generator) -> list[Actor]:
    """A clip with no sound source: a silent mover (knocked by a gust) and nothing else."""
    actor = DistractorActor(world, rng, (1.0, world.width - 1.0), source=10)
    return [actor] if actor.plan(rng, int(rng.integers(1, 3))) else []


def _textured(variant: np.random.Generator, settings: SynthSettings) -> int | None:
    """The seed of a wall texture, or None (a plain wall)."""
    if settings.p_textured and variant.random() < settings.p_textured:
        return int(variant.integers(2**31))
    return None


def _caption(
    rng: np.random.Generator, actors: list[Actor], extras: list[Actor], texture: Texture | None
) -> str:
    if not actors and not extras and texture is None:
        return captions.sentence([captions.phrase(rng, "silence")])
    parts = []
    for a in actors:
        n = len(a.frames)
        key = "impact_many" if a.kind == "impact" and n > 1 else a.kind
        material = _SURFACE_WORDS.get(a.material or "", a.material) if a.kind == "footsteps" else a.material
        color = getattr(a, "light", "")
        parts.append(
            captions.phrase(rng, key, n=n, object=a.object, material=material, size=a.size, color=color)
        )
    for a in extras:
        key = a.kind if a.on_screen else f"off:{a.sound_kind}"  # type: ignore[attr-defined]
        parts.append(captions.phrase(rng, key, n=len(a.frames), object=a.object, material=a.material))
    if texture is not None:
        key = f"tex:{texture.kind}" if texture.on_screen else f"offtex:{texture.kind}"
        parts.append(captions.phrase(rng, key))
    return captions.sentence(parts)


def _background(world: World, rng: np.random.Generator, textured: int | None = None) -> np.ndarray:
    """A wall and a floor of one tone (both light or both dark); outlines take the other tone.
    ``textured``: the seed of a pattern drawn on the wall."""
    light = bool(rng.random() < 0.5)
    lo, hi = (150, 215) if light else (45, 95)
    world.ink = (25.0, 25.0, 25.0) if light else (235.0, 235.0, 235.0)
    wall = rng.uniform(lo, hi, 3)
    image = vertical_gradient(world.height, world.width, tuple(wall * 1.05), tuple(wall * 0.95))
    canvas = Canvas(image)
    # the floor differs in hue, not in grey: optical flow sees no edge for objects to cross
    floor = rng.uniform(lo, hi, 3)
    floor = np.clip(floor + (luminance(tuple(wall * 0.95)) - luminance(tuple(floor))), 0, 255)
    if textured is not None:
        wall_pattern(canvas, world, np.random.default_rng(textured))
    canvas.rect(0, world.horizon_y, world.width, world.height, tuple(floor.tolist()))
    return canvas.image


def _render(
    world: World,
    rng: np.random.Generator,
    actors: list[Actor],
    texture: Texture | None,
    textured: int | None = None,
) -> np.ndarray:
    background = _background(world, rng, textured)
    frames = np.empty((world.n_frames, world.height, world.width, 3), dtype=np.uint8)
    for i in range(world.n_frames):
        canvas = Canvas(background.copy(), world.ink, world.ink_width)
        if texture is not None:
            texture.draw(canvas, i)
        for actor in actors:
            actor.draw(canvas, i)
        frames[i] = canvas.to_uint8()
    return frames


def _mix(world: World, seed: int, actors: list[Actor], texture: Texture | None) -> np.ndarray:
    out = np.zeros(world.n_samples)
    for j, actor in enumerate(actors):
        actor.sound(np.random.default_rng([_SALT, seed, 1 + j]), out)
    if texture is not None:
        texture.sound(np.random.default_rng([_SALT, seed, 100]), out)
    fade = min(len(out), int(0.1 * world.sr))  # a sound cut by the clip's end must not click
    out[len(out) - fade :] *= 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, fade))
    peak = float(np.abs(out).max())
    if peak > 0.95:  # keep headroom without clipping; relative loudness is kept
        out *= 0.95 / peak
    return out.astype(np.float32)
