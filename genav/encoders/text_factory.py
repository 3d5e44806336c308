"""Building the text encoder a config describes: the one place that maps ``TextEncoderConfig.kind``
(``hash``, ``minilm``, ``hf``) to its class. Kept apart from the classes so that
:mod:`genav.encoders.text` (the base and the hash encoder) and :mod:`genav.encoders.hf_text` (the
transformers ones, built on that base) import one way only."""

from __future__ import annotations

from genav.encoders.hf_text import HFTextEncoder, MiniLMTextEncoder
from genav.encoders.text import HashTextEncoder, TextEncoder, TextEncoderConfig
from genav.errors import ConfigError


def build_text_encoder(spec: TextEncoderConfig) -> TextEncoder:
    """The text encoder ``spec`` describes (models load from local files only)."""
    if spec.kind == "hash":
        return HashTextEncoder(spec.width, seed=spec.seed, max_length=spec.max_length,
                               cache_size=spec.cache_size)
    if spec.kind == "minilm":
        enc = MiniLMTextEncoder(max_length=spec.max_length, cache_size=spec.cache_size)
    else:
        enc = HFTextEncoder(spec.path, max_length=spec.max_length, cache_size=spec.cache_size)
    if spec.dim is not None and spec.dim != enc.dim:
        raise ConfigError(f"text encoder config says dim {spec.dim} but the {spec.kind} model gives {enc.dim}")
    return enc
