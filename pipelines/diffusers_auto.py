"""Which genav wrapper runs which diffusers text-to-audio pipeline class: declared here, once."""

from __future__ import annotations

import json
from pathlib import Path

from genav.errors import CheckpointError
from genav.pipelines.diffusers_audioldm2 import AudioLDM2TextToAudioPipeline
from genav.pipelines.diffusers_t2a import SUPPORTED, DiffusersTextToAudioPipeline

DIFFUSERS_WRAPPERS: dict[str, type[DiffusersTextToAudioPipeline]] = {
    "StableAudioPipeline": DiffusersTextToAudioPipeline,
    "AudioLDM2Pipeline": AudioLDM2TextToAudioPipeline,
}


def diffusers_wrapper(folder: str | Path) -> type[DiffusersTextToAudioPipeline]:
    """The wrapper class for the diffusers pipeline saved in ``folder`` (by its ``model_index.json``).

    Raises:
        CheckpointError: not a diffusers folder, or a pipeline class genav does not run.
    """
    index = Path(folder) / "model_index.json"
    if not index.is_file():
        raise CheckpointError(f"{folder} is not a diffusers pipeline folder (no model_index.json)")
    kind = json.loads(index.read_text()).get("_class_name")
    if kind not in DIFFUSERS_WRAPPERS:
        raise CheckpointError(
            f"{folder} holds a {kind}; genav runs these diffusers text-to-audio pipelines: {', '.join(SUPPORTED)}"
        )
    return DIFFUSERS_WRAPPERS[kind]
