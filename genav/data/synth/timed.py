"""Captions for text-to-video on the synthetic world: what is shown (class + colour) and when.

The text-to-video world is the synthetic world with one visible source per clip, limited to
sources whose look is fixed by what the clip records: balls that bounce, boxes that fall or are
shoved, alarm lights that flash, doors that slam (:data:`T2V_EVENT_TYPES`). For such a clip,
:func:`describe` gives its :class:`Subject`: a coarse object class (:data:`CLASSES`), a colour
name (:data:`COLOURS`, from the object or its material), the object's name and its event frames.
:func:`subject_caption` writes a prompt that names class and colour ("a red ball bounces");
:func:`event_phrase` the short phrase ("the ball hits the floor") that a *timed caption* places
in the time slots of the event frames only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genav.data.synth.generate import SynthClip, generate_clip
from genav.data.synth.settings import SynthSettings

T2V_EVENT_TYPES: tuple[str, ...] = ("bounce", "impact", "flash", "door", "slide")
CLASSES: tuple[str, ...] = ("ball", "box", "light", "door")
COLOURS: tuple[str, ...] = ("red", "orange", "yellow", "green", "blue", "white", "brown", "grey")

_BALL_COLOURS = {
    "rubber ball": "red",
    "basketball": "orange",
    "tennis ball": "yellow",
    "ping-pong ball": "white",
    "plastic ball": "blue",
}
_MATERIAL_COLOURS = {"wood": "brown", "cardboard": "brown", "metal": "grey", "stone": "grey", "plastic": "red"}
# impact objects drawn as boxes (other impact objects -- bottles, plates, cans, rocks -- are left out)
_BOX_NAMES = {"box": "box", "block": "block", "crate": "crate", "toolbox": "toolbox", "stone block": "block",
              "plastic bin": "bin"}


def t2v_settings(**changes: object) -> SynthSettings:
    """The settings of the text-to-video world: 4 s, 10 fps, 64x64, one visible source, no
    textures, no distractors (``changes`` override fields)."""
    base = dict(duration=4.0, fps=10, width=64, height=64, event_types=T2V_EVENT_TYPES, max_sources=1,
                p_texture=0.0, difficulty=0.0)
    base.update(changes)
    return SynthSettings(**base)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Subject:
    """The one visible source of a text-to-video clip.

    ``kind``: event type; ``cls``: one of :data:`CLASSES`; ``colour``: one of :data:`COLOURS`;
    ``noun``: the object's name in captions; ``frames``: event frames; ``times``: their times (s);
    ``wall``: the background wall, e.g. "dark blue" (:func:`wall_name`).
    """

    kind: str
    cls: str
    colour: str
    noun: str
    frames: tuple[int, ...]
    times: tuple[float, ...]
    wall: str = ""


def describe(clip: SynthClip) -> Subject | None:
    """The clip's :class:`Subject`, or None when it is not a one-source text-to-video clip."""
    events = [e for e in clip.events if e.on_screen]
    if not events or len({e.source for e in events}) != 1 or len(clip.events) != len(events):
        return None
    e = events[0]
    if e.type == "bounce":
        cls, colour, noun = "ball", _BALL_COLOURS.get(e.object), "ball"
    elif e.type in ("impact", "slide"):
        cls, colour, noun = "box", _MATERIAL_COLOURS.get(e.material or ""), _BOX_NAMES.get(e.object)
    elif e.type == "flash":
        cls, colour, noun = "light", e.object.removesuffix(" light"), "light"
    elif e.type == "door":
        cls, colour, noun = "door", _MATERIAL_COLOURS.get(e.material or ""), "door"
    else:
        return None
    if colour not in COLOURS or noun is None:
        return None
    return Subject(e.type, cls, colour, noun, tuple(x.frame for x in events), tuple(x.time for x in events),
                   wall_name(clip.frames[0, 2, 2]))


_HUES = ((15, "red"), (45, "orange"), (70, "yellow"), (170, "green"), (260, "blue"), (345, "purple"), (360, "red"))


def wall_name(rgb: np.ndarray) -> str:
    """"light"/"dark" and a hue name (or "grey" when barely coloured) of an RGB uint8 colour."""
    import colorsys

    r, g, b = (float(c) / 255 for c in rgb[:3])
    hue, saturation, value = colorsys.rgb_to_hsv(r, g, b)
    tone = "light" if value > 0.55 else "dark"
    name = "grey" if saturation < 0.12 else next(n for edge, n in _HUES if hue * 360 < edge)
    return f"{tone} {name}"


_TEMPLATES: dict[str, tuple[str, ...]] = {
    "bounce": ("a {colour} ball bounces", "a {colour} ball bounces on the floor",
               "a {colour} ball is dropped and bounces"),
    "impact": ("a {colour} {noun} falls to the floor", "a {colour} {noun} drops onto the ground",
               "someone drops a {colour} {noun}"),
    "flash": ("a {colour} light flashes", "a {colour} alarm light blinks", "a {colour} lamp flashes and beeps"),
    "door": ("a {colour} door slams shut", "someone slams a {colour} door", "a {colour} door swings closed"),
    "slide": ("a {colour} {noun} slides across the floor", "someone shoves a {colour} {noun}",
              "a {colour} {noun} scrapes along the ground"),
}
_PHRASES = {
    "bounce": "the ball hits the floor",
    "impact": "the {noun} hits the floor",
    "flash": "the light flashes",
    "door": "the door slams",
    "slide": "the {noun} is shoved",
}


def subject_caption(subject: Subject, rng: np.random.Generator, *, p_wall: float = 0.7) -> str:
    """A prompt naming the subject's colour and object (one of a few phrasings, picked by ``rng``),
    followed with probability ``p_wall`` by the wall behind it ("... by a dark blue wall")."""
    options = _TEMPLATES[subject.kind]
    text = options[int(rng.integers(len(options)))].format(colour=subject.colour, noun=subject.noun)
    if subject.wall and rng.random() < p_wall:
        text += f" by {'an' if subject.wall[0] in 'aeiou' else 'a'} {subject.wall} wall"
    return text


def event_phrase(subject: Subject) -> str:
    """The phrase a timed caption puts in the slots of each event frame."""
    return _PHRASES[subject.kind].format(noun=subject.noun)


def t2v_clips(count: int, *, first_seed: int, settings: SynthSettings | None = None) -> list[tuple[SynthClip, Subject]]:
    """The first ``count`` text-to-video clips at seeds ``first_seed, first_seed + 1, ...`` (seeds
    whose clip has no :class:`Subject` are skipped), each with its subject."""
    settings = settings or t2v_settings()
    out: list[tuple[SynthClip, Subject]] = []
    seed = first_seed
    while len(out) < count:
        clip = generate_clip(seed, settings)
        subject = describe(clip)
        if subject is not None:
            out.append((clip, subject))
        seed += 1
    return out
