"""The classifier interface every audio classifier/extractor is loaded behind (waves in, logits and
embeddings out) and its description. Apart from :mod:`genav.eval.classifiers.registry` (which picks a loader)
so that the loaders in :mod:`genav.eval.classifiers.extractors` import it one way."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from genav.errors import InputError


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
    preprocessing: str = ""  # what is done to a wave before the weights see it, beyond resampling

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
