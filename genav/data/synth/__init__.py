"""The synthetic audio-visual world: clips whose sounds have visible causes and exact event times.

>>> clip = generate_clip(0, SynthSettings(duration=4.0, fps=10))   # doctest: +SKIP
>>> clip.frames.shape, clip.audio.shape, clip.caption, clip.events[0].time   # doctest: +SKIP
"""

from genav.data.synth.generate import ACTORS, SynthClip, generate_clip
from genav.data.synth.settings import EVENT_TYPES, TEXTURES, SynthSettings
from genav.data.synth.world import Event
from genav.data.synth.writer import clip_seed, write_synth_dataset

__all__ = [
    "ACTORS",
    "EVENT_TYPES",
    "TEXTURES",
    "Event",
    "SynthClip",
    "SynthSettings",
    "clip_seed",
    "generate_clip",
    "write_synth_dataset",
]
