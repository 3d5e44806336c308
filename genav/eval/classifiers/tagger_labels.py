"""Coarse sound classes for the genav tagger, mapped from fine labels by keywords.

The SFX set has 224 clips with as many fine labels, too few per label to learn; keyword rules
fold them into a dozen coarse classes (footsteps, door, bird, ...). Rules are tried in order and
the first match wins, so "footstep on metal" is footsteps and "fire truck" is a vehicle.
"""

from __future__ import annotations

COARSE_CLASSES: tuple[str, ...] = (
    "footsteps",
    "door",
    "bird",
    "insect",
    "animal",
    "vehicle_machine",
    "explosion",
    "fire_hiss",
    "water",
    "glass_ice",
    "music_bell",
    "wood",
    "metal",
    "stone_dig",
    "voice",
)

# (class, keywords): matched as substrings of the lower-cased file path and fine label.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("footsteps", ("footstep",)),
    ("door", ("door", "gate")),
    ("bird", ("birds__",)),
    ("insect", ("insects__", "spider")),
    ("animal", ("animals__", "blackcat", "bat_left")),
    ("vehicle_machine", ("cart", "firetruck", "vehicles__", "engine", "lander", "washing", "vacuum")),
    ("explosion", ("explo", "boom", "firework", "lightning")),
    ("fire_hiss", ("fire", "lava", "flame", "smoke", "furnace", "gunpowder", "ignite")),
    ("water", ("water", "toilet", "kettle")),
    ("glass_ice", ("glass", "ice_", "ice ", "bottle")),
    ("music_bell", ("music__", "cymbal", "drum", "cello", "violin", "bassoon", "bell", "chime", "alarm", "phone", "complete")),
    ("wood", ("wood", "chop", "twig", "snappy", "chest", "saw")),
    ("metal", ("metal", "steel", "hammer", "mallet", "tool", "flint", "scissors")),
    ("stone_dig", ("stone", "dig", "dug", "gravel", "dirt", "_node", "sand", "snow", "crumbly", "cracky")),
    ("voice", ("faces__", "grunt", "ghost")),
)


def coarse_class(file: str, label: str = "") -> str | None:
    """The coarse class of a clip from its path and fine label, or None when no rule matches."""
    text = f"{file} {label}".lower()
    for name, words in _RULES:
        if any(w in text for w in words):
            return name
    return None

# Event types of the synthetic world (genav.data.synth) -> tagger classes. Kept apart from the
# SFX classes: the synthetic sounds have their own timbres, and a model trained on the synthetic
# world is scored on them.
SYNTH_CLASS_OF_EVENT: dict[str, str] = {
    "impact": "synth_hit",
    "bounce": "synth_hit",
    "drum": "synth_drum",
    "door": "synth_door",
    "flash": "synth_beep",
    "footsteps": "synth_steps",
    "slide": "synth_friction",
    "roll": "synth_friction",
    "engine": "synth_engine",
}
SYNTH_CLASSES: tuple[str, ...] = tuple(dict.fromkeys(SYNTH_CLASS_OF_EVENT.values()))
ALL_CLASSES: tuple[str, ...] = COARSE_CLASSES + SYNTH_CLASSES


def classes_present(labels: set[str]) -> tuple[str, ...]:
    """The classes that occur in ``labels``, in the canonical order of :data:`ALL_CLASSES`."""
    return tuple(c for c in ALL_CLASSES if c in labels)
