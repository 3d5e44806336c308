"""Shared layers: RoPE (incl. time-aligned RoPE across modalities), adaLN, MLP, embeddings."""

from genav.nn.layers import (
    MLP,
    AdaLNZero,
    FinalLayer,
    ScalarEmbedder,
    cond_mlp,
    count_parameters,
    gate,
    modulate,
    sinusoidal_embedding,
)
from genav.nn.rope import TimeAlignedRoPE, apply_rope, rope_angles, rope_frequencies, time_positions

__all__ = [
    "MLP",
    "AdaLNZero",
    "FinalLayer",
    "ScalarEmbedder",
    "TimeAlignedRoPE",
    "apply_rope",
    "cond_mlp",
    "count_parameters",
    "gate",
    "modulate",
    "rope_angles",
    "rope_frequencies",
    "sinusoidal_embedding",
    "time_positions",
]
