"""Audio classifiers behind one interface: waves in, (logits, embeddings) out, with a description.

``genav-tagger`` (the default, trained here, offline), an official PANNs CNN14 ``.pth`` (16 kHz or
32 kHz, told apart by its STFT weight shape), a PaSST-S ``.pt``, a VGGish ``.pth`` (or a folder with
its PCA parameters) or a ``transformers`` CLAP folder, each told apart by its keys. Every result
names the classifier and says whether its numbers can be compared with published tables.
Extractors without class outputs (VGGish, CLAP) have ``num_classes == 0``: they serve FD, not KLD/IS.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import CheckpointError, InputError, UnknownModelError

log = logging.getLogger(__name__)

DEFAULT_CLASSIFIER = "genav-tagger"


@dataclass(frozen=True)
class ClassifierInfo:
    """What produced the logits: ``family`` is "genav-tagger", "cnn14", "passt", "vggish" or "clap"."""

    name: str
    family: str
    sample_rate: int
    num_classes: int
    embedding_dim: int
    source: str
    checksum: str | None
    min_samples: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AudioClassifier:
    """A loaded classifier. Call with mono waves at ``info.sample_rate``.

    ``classify(waves)``: list of (T_i,) float arrays -> (logits (N, C), embeddings (N, D)), both
    float32 numpy. Waves of equal length are batched; each wave is classified at its own length
    (no padding across items, which would change the result).
    """

    def __init__(self, model: Any, info: ClassifierInfo) -> None:
        self.model = model
        self.info = info

    @property
    def sample_rate(self) -> int:
        return self.info.sample_rate

    def classify(self, waves: list[np.ndarray], *, batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
        import torch

        for w in waves:
            problem = self.too_short(w)
            if problem:
                raise InputError(problem)
        logits = np.zeros((len(waves), self.info.num_classes), dtype=np.float32)
        embeds = np.zeros((len(waves), self.info.embedding_dim), dtype=np.float32)
        by_length: dict[int, list[int]] = defaultdict(list)
        for i, w in enumerate(waves):
            by_length[len(w)].append(i)
        with torch.inference_mode():
            for idx in by_length.values():
                for s in range(0, len(idx), batch_size):
                    chunk = idx[s : s + batch_size]
                    batch = torch.from_numpy(
                        np.stack([np.asarray(waves[i], dtype=np.float32) for i in chunk])
                    )
                    out_logits, out_embed = self.model(batch)
                    logits[chunk] = out_logits.float().numpy()
                    embeds[chunk] = out_embed.float().numpy()
        return logits, embeds

    def too_short(self, wave: np.ndarray) -> str | None:
        """An error message when ``wave`` is too short for this classifier, else None."""
        if len(wave) < self.info.min_samples:
            seconds = self.info.min_samples / self.info.sample_rate
            return f"clip too short for {self.info.name}: {len(wave)} samples, needs >= {self.info.min_samples} ({seconds:.2f} s)"
        return None


def load_classifier(name_or_path: str | Path | None = None) -> AudioClassifier:
    """``genav-tagger`` (default), a tagger folder, an official CNN14 ``.pth`` (or a folder holding
    one), a PaSST ``.pt``, a VGGish ``.pth`` / folder, or a CLAP folder (see :mod:`genav.eval.extractors`)."""
    text = str(name_or_path or DEFAULT_CLASSIFIER)
    path = Path(text)
    if path.is_file():
        from genav.eval.extractors import load_extractor_file

        return load_extractor_file(path, _load_cnn14)
    if path.is_dir():
        from genav.eval.extractors import load_extractor_folder

        found = load_extractor_folder(path)
        if found is not None:
            return found
        if (path / "config.json").exists():
            return _load_tagger(path)
        pths = sorted(path.glob("*.pth"))
        if len(pths) == 1:
            return _load_cnn14(pths[0])
        raise CheckpointError(
            f"{path}: expected a tagger folder (config.json) or exactly one CNN14 .pth, found {len(pths)} .pth"
        )
    if text == DEFAULT_CLASSIFIER:
        from genav.registry import resolve_model

        entry = resolve_model(text)
        if entry.path is None or not entry.path.is_dir():
            raise CheckpointError(f"{text} has no model folder", hint="train it: genav train tagger")
        return _load_tagger(entry.path)
    raise UnknownModelError(
        f"unknown classifier {text!r}",
        hint="use genav-tagger, a path to an official CNN14 .pth (16 or 32 kHz), PaSST .pt, VGGish .pth, "
        "a CLAP folder or a tagger folder",
    )


def _load_tagger(folder: Path) -> AudioClassifier:
    from genav.checkpoint import file_checksum
    from genav.eval.tagger import load_tagger

    model = load_tagger(folder)
    cfg = model.config
    info = ClassifierInfo(
        name=cfg.name,
        family="genav-tagger",
        sample_rate=cfg.sample_rate,
        num_classes=len(cfg.classes),
        embedding_dim=cfg.embedding_dim,
        source=str(folder),
        checksum=file_checksum(folder / "model.safetensors"),
        min_samples=1,  # the tagger pads short clips itself
    )
    return AudioClassifier(model, info)


def _load_cnn14(path: Path) -> AudioClassifier:
    from genav.checkpoint import file_checksum
    from genav.eval.cnn14 import NUM_AUDIOSET_CLASSES, load_cnn14

    model = load_cnn14(path)
    spec = model.spec
    info = ClassifierInfo(
        name=f"cnn14-{spec.sample_rate // 1000}k",
        family="cnn14",
        sample_rate=spec.sample_rate,
        num_classes=NUM_AUDIOSET_CLASSES,
        embedding_dim=2048,
        source=str(path),
        checksum=file_checksum(path),
        # five 2x time poolings need >= 32 frames: (32 - 1) * hop samples with centred frames
        min_samples=31 * spec.hop,
    )
    return AudioClassifier(model, info)
