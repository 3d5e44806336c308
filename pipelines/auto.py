"""``AutoTextToAudioPipeline``: one entry point for every text-to-audio model genav runs (an
AutoPipeline-style factory, as diffusers' ``AutoPipelineForText2Image``): a registered name or a
genav model folder gives a :class:`TextToAudioPipeline`, a local diffusers folder the wrapper for
its pipeline class (:mod:`genav.pipelines.diffusers_auto`)."""

from __future__ import annotations

from pathlib import Path

from genav.pipelines.diffusers_auto import diffusers_wrapper
from genav.pipelines.diffusers_t2a import DiffusersTextToAudioPipeline
from genav.pipelines.text_to_audio import TextToAudioPipeline
from genav.registry import resolve_model


class AutoTextToAudioPipeline:
    """A factory, never instantiated: :meth:`from_pretrained` returns the pipeline for the model."""

    def __init__(self) -> None:
        raise TypeError("AutoTextToAudioPipeline is a factory: call AutoTextToAudioPipeline.from_pretrained(...)")

    @classmethod
    def from_pretrained(
        cls, name_or_path: str | Path, *, device: str = "auto", dtype: str = "auto"
    ) -> TextToAudioPipeline | DiffusersTextToAudioPipeline:
        """The text-to-audio pipeline for a registered name, a genav model folder, or a local
        diffusers ``StableAudioPipeline``/``AudioLDM2Pipeline`` folder.

        Raises:
            UnknownModelError: neither a registered name nor a folder.
            CheckpointError: a folder genav cannot load.
        """
        entry = resolve_model(name_or_path)
        if entry.family == "diffusers":
            wrapper = diffusers_wrapper(entry.path)
            return wrapper.from_pretrained(entry.path, device=device, dtype=dtype)
        return TextToAudioPipeline.from_pretrained(name_or_path, device=device, dtype=dtype)
