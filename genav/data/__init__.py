"""genav.data: the synthetic audio-visual world and dataset readers.

Imports are lazy so that ``genav.data.synth`` (numpy only) does not pull in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClipWindows": "genav.data.clips",
    "CropGrid": "genav.data.clips",
    "ValidationWindows": "genav.data.clips",
    "EncodedClip": "genav.data.shards",
    "ShardIndex": "genav.data.shards",
    "iter_manifest": "genav.data.manifest",
    "read_row": "genav.data.dataset",
    "ManifestDataset": "genav.data.dataset",
    "collate_batch": "genav.data.dataset",
    "ManifestRow": "genav.data.manifest",
    "read_manifest": "genav.data.manifest",
    "read_manifest_rows": "genav.data.manifest",
    "licence_summary": "genav.data.manifest",
    "SynthSettings": "genav.data.synth",
    "SynthClip": "genav.data.synth",
    "Event": "genav.data.synth",
    "generate_clip": "genav.data.synth",
    "write_synth_dataset": "genav.data.synth.writer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'genav.data' has no attribute {name!r}")
