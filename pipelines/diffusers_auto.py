"""Which genav wrapper runs which diffusers text-to-audio pipeline class: declared here, once."""

from __future__ import annotations

from pathlib import Path

from genav.pipelines.diffusers_audioldm2 import AudioLDM2TextToAudioPipeline
from genav.pipelines.diffusers_t2a import DiffusersTextToAudioPipeline, diffusers_kind

DIFFUSERS_WRAPPERS: dict[str, type[DiffusersTextToAudioPipeline]] = {
    "StableAudioPipeline": DiffusersTextToAudioPipeline,
    "AudioLDM2Pipeline": AudioLDM2TextToAudioPipeline,
}


def diffusers_wrapper(folder: str | Path) -> type[DiffusersTextToAudioPipeline]:
    """The wrapper class for the diffusers pipeline saved in ``folder`` (by its ``model_index.json``).

    Raises:
        CheckpointError: not a diffusers folder, or a pipeline class genav does not run.
    """
    return DIFFUSERS_WRAPPERS[diffusers_kind(Path(folder))]
