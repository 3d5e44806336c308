"""Caption templates: at least three phrasings per event type, chosen at random per clip.

Placeholders: ``{a_thing}`` (article + size + material + object), ``{a_mat_obj}`` (article +
material + object), ``{a_object}``, ``{object}``, ``{material}``, ``{times}`` ("twice"),
``{count}`` ("two"), ``{word}`` (the sound of the material), ``{color}``.
"""

from __future__ import annotations

import numpy as np

TIMES = ("no times", "once", "twice", "three times", "four times", "five times", "six times", "seven times")
COUNTS = ("no", "one", "two", "three", "four", "five", "six", "seven")

ADJECTIVES = {"wood": "wooden", "skin": ""}
SOUND_WORDS = {
    "metal": "clang",
    "glass": "clink",
    "wood": "knock",
    "plastic": "clack",
    "rubber": "thud",
    "stone": "crack",
    "cardboard": "thump",
    "skin": "boom",
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "impact": (
        "{a_thing} falls and hits the floor with a {word}",
        "{a_mat_obj} drops to the ground",
        "someone drops {a_thing}, which lands with a {word}",
        "{a_mat_obj} falls onto the floor",
    ),
    "impact_many": (
        "{count} {material} {objects} fall to the floor one after the other",
        "{material} {objects} drop onto the ground, each with a {word}",
        "{count} {material} {objects} are dropped and land with a {word}",
    ),
    "bounce": (
        "{a_object} bounces {times} on the floor",
        "{a_object} is dropped and bounces {times} before it stops",
        "a bouncing {object} hits the ground {times}",
    ),
    "drum": (
        "someone hits {a_object} {times}",
        "a drumstick strikes {a_object} {times}",
        "{count} beats on {a_object}",
    ),
    "door": (
        "{a_mat_obj} slams shut",
        "someone slams {a_mat_obj}",
        "{a_mat_obj} swings closed with a bang",
    ),
    "flash": (
        "{a_object} flashes {times}, beeping each time",
        "a warning lamp blinks {color} with a beep {times}",
        "an alarm light flashes {color} and beeps {times}",
    ),
    "footsteps": (
        "a person walks across {material}",
        "footsteps on {material} as someone walks by",
        "someone takes {count} steps on {material}",
    ),
    "slide": (
        "{a_mat_obj} is shoved and scrapes across the floor",
        "someone pushes {a_object}; it slides to a stop",
        "{a_object} slides along the ground, scraping as it slows",
    ),
    "roll": (
        "{a_mat_obj} is pushed and rolls across the floor",
        "{a_object} rolls along the ground, rumbling as it slows",
        "someone gives {a_object} a push and it rolls away",
    ),
    "engine": (
        "{a_object} starts and its wheel spins up with a hum",
        "{a_object} sputters to life and revs {times}",
        "a machine starts up, its wheel turning faster as the hum rises",
    ),
    "distractor": (
        "{a_object} sways silently",
        "{a_object} is nudged by a silent gust",
        "without a sound, {a_object} jerks to one side",
    ),
    "off:door": (
        "a door slams somewhere off-screen",
        "off-screen, a door bangs shut",
        "a door is slammed out of view",
    ),
    "off:impact": (
        "something {material} clatters off-screen",
        "an unseen {material} object falls",
        "off-screen, something hits the floor with a {word}",
    ),
    "off:drum": (
        "a drum is hit off-screen",
        "off-screen, someone strikes a drum",
        "a drum beat comes from out of view",
    ),
    "off:beep": ("a beep sounds off-screen", "an unseen alarm beeps", "off-screen, something beeps"),
    "off:knock": (
        "someone knocks off-screen",
        "a knock comes from out of view",
        "off-screen, someone knocks on a door",
    ),
    "silence": ("silence", "a silent scene, no sound", "nothing makes a sound"),
    "tex:rain": ("rain falls", "it is raining", "rain patters steadily"),
    "tex:wind": ("wind blows", "a gusty wind blows", "the wind howls softly"),
    "tex:crowd": ("a crowd murmurs", "people chatter in the background", "a crowd talks quietly"),
    "offtex:rain": (
        "rain can be heard but not seen",
        "off-screen, rain is falling",
        "the sound of rain comes from outside the picture",
    ),
    "offtex:wind": ("wind blows off-screen", "an unseen wind howls", "wind can be heard outside the picture"),
    "offtex:crowd": (
        "a crowd murmurs off-screen",
        "unseen people chatter nearby",
        "the murmur of a crowd comes from out of view",
    ),
}


def article(words: str) -> str:
    words = " ".join(words.split())
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def phrase(
    rng: np.random.Generator,
    key: str,
    *,
    n: int = 1,
    object: str = "",
    material: str | None = None,
    size: str | None = None,
    color: str = "",
) -> str:
    """Fill one random template of ``key``."""
    options = TEMPLATES[key]
    template = options[int(rng.integers(len(options)))]
    mat = material or ""
    adjective = ADJECTIVES.get(mat, mat)
    text = template.format(
        a_thing=article(f"{size or ''} {adjective} {object}"),
        a_mat_obj=article(f"{adjective} {object}"),
        a_object=article(object),
        object=object,
        objects=plural(object),
        material=adjective,
        times=TIMES[min(n, len(TIMES) - 1)],
        count=COUNTS[min(n, len(COUNTS) - 1)],
        word=SOUND_WORDS.get(mat, "thud"),
        color=color,
    )
    return " ".join(text.split())


def plural(noun: str) -> str:
    """English plural of an object name: ``box`` -> ``boxes``, ``ball`` -> ``balls``."""
    return noun + ("es" if noun.endswith(("s", "sh", "ch", "x", "z")) else "s")


def sentence(parts: list[str]) -> str:
    """Join clauses into one caption: 'A, B, and C.' with a capital first letter."""
    parts = [p for p in parts if p]
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
    if len(parts) == 2:
        body = f"{parts[0]}, and {parts[1]}" if len(parts[0]) > 30 else f"{parts[0]} and {parts[1]}"
    return body[0].upper() + body[1:] + "."
