"""CLAP (Wu et al. 2023, LAION "Large-scale Contrastive Language-Audio Pretraining") from a local
``transformers`` ClapModel folder (``config.json``, weights, ``preprocessor_config.json`` and the
tokenizer files, as the ``laion/clap-htsat-*`` folders are laid out); never downloads.

Audio: the folder's ClapFeatureExtractor (48 kHz, 64-bin log-mel, 10 s windows, repeat-padding);
clips are cut to its ``max_length_s`` first, so the feature extractor's random cropping of long
clips never runs (results are deterministic). Text: the folder's tokenizer. Embeddings are the
projected audio / text embeddings, L2-normalised. CLAP score (T2A) = mean over pairs of the
cosine similarity between a generated clip's audio embedding and its caption's text embedding,
as av-benchmark's ``LAION-CLAP-Score`` (which uses the ``laion_clap`` package's HTSAT checkpoint;
the transformers conversion of the same checkpoint gives the same embeddings up to float rounding).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genav.errors import CheckpointError, InputError

log = logging.getLogger(__name__)


def _pooled(out: Any) -> torch.Tensor:
    """transformers 4 returns the projected tensor; 5 returns an output whose pooler_output holds it."""
    return out if isinstance(out, torch.Tensor) else out.pooler_output


class Clap(nn.Module):
    """A loaded CLAP: wave batch (B, T) at ``sample_rate`` -> (logits (B, 0), audio embedding (B, D))."""

    def __init__(self, model: Any, feature_extractor: Any, tokenizer: Any) -> None:
        super().__init__()
        self.model = model
        self.feature_extractor = feature_extractor
        self.tokenizer = tokenizer

    @property
    def sample_rate(self) -> int:
        return int(self.feature_extractor.sampling_rate)

    @property
    def embedding_dim(self) -> int:
        return int(self.model.config.projection_dim)

    def audio_embeddings(self, waves: list[np.ndarray] | torch.Tensor) -> torch.Tensor:
        """Mono waves at ``sample_rate`` -> (N, D) L2-normalised audio embeddings."""
        limit = int(self.feature_extractor.max_length_s * self.sample_rate)
        clipped = [np.asarray(w, dtype=np.float32)[:limit] for w in waves]
        feats = self.feature_extractor(clipped, sampling_rate=self.sample_rate, return_tensors="pt")
        with torch.inference_mode():
            emb = _pooled(self.model.get_audio_features(**feats))
        return nn.functional.normalize(emb.float(), dim=-1)

    def text_embeddings(self, texts: list[str]) -> torch.Tensor:
        """Captions -> (N, D) L2-normalised text embeddings."""
        if not texts or any(not isinstance(t, str) or not t.strip() for t in texts):
            raise InputError("CLAP text embeddings need non-empty captions")
        tokens = self.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            emb = _pooled(
                self.model.get_text_features(
                    input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
                )
            )
        return nn.functional.normalize(emb.float(), dim=-1)

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.audio_embeddings([w.numpy() for w in wave])
        return emb.new_zeros((emb.shape[0], 0)), emb


def clap_scores(clap: Clap, waves: list[np.ndarray], captions: list[str]) -> np.ndarray:
    """Per-pair cosine similarity of audio ``waves[i]`` and ``captions[i]`` in CLAP's joint space.

    Args:
        clap: a loaded :class:`Clap` (:func:`load_clap`).
        waves: N mono (T,) float32 waves at ``clap.sample_rate`` Hz (48 kHz for the released models).
        captions: N non-empty texts, ``captions[i]`` describing ``waves[i]``.

    Returns:
        (N,) float32 cosine similarities in [-1, 1] (the "CLAP score" averages them).

    Raises:
        InputError: the counts differ, or a caption is empty.

    Source: CLAP, Elizalde et al. 2023 / LAION-CLAP (Wu et al. 2023); the CLAP score of text-to-audio
    benchmarks (e.g. av-benchmark, MMAudio, Cheng et al. 2025).
    """
    if len(waves) != len(captions):
        raise InputError(
            f"CLAP score needs one caption per clip, got {len(waves)} clips and {len(captions)} captions"
        )
    audio = clap.audio_embeddings(waves)
    text = clap.text_embeddings(captions)
    return (audio * text).sum(dim=-1).numpy()


def is_clap_folder(folder: Path) -> bool:
    import json

    config = folder / "config.json"
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text()).get("model_type") == "clap"
    except (OSError, ValueError):
        return False


def load_clap(folder: str | Path) -> Clap:
    """Load a local ``transformers`` ClapModel folder strictly (no download; missing weights are an error).

    Args:
        folder: a folder with ``config.json`` (``model_type`` "clap"), the weights, the feature
            extractor and the tokenizer files.

    Returns:
        A :class:`Clap` in eval mode, its parameters frozen.

    Raises:
        CheckpointError: not a CLAP folder, files that cannot be read, or weights that do not match
            the config.

    Source: CLAP, Elizalde et al. 2023 / LAION-CLAP (Wu et al. 2023), as ``transformers.ClapModel``.
    """
    from transformers import AutoTokenizer, ClapFeatureExtractor, ClapModel

    folder = Path(folder)
    if not is_clap_folder(folder):
        raise CheckpointError(f"{folder}: not a CLAP folder (config.json with model_type 'clap')")
    try:
        model, info = ClapModel.from_pretrained(folder, local_files_only=True, output_loading_info=True)
        feature_extractor = ClapFeatureExtractor.from_pretrained(folder, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{folder}: cannot load the CLAP folder ({exc})") from None
    problems = {
        k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v
    }
    if problems:
        raise CheckpointError(f"{folder}: checkpoint does not match its config: {problems}")
    model.eval().requires_grad_(False)
    log.info("loaded CLAP from %s", folder)
    return Clap(model, feature_extractor, tokenizer).eval()
