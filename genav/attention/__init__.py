"""genav.attention: one attention function, (B, N, H, D) layout, several backends.

>>> out = attention(q, k, v, mask=key_padding)          # doctest: +SKIP
>>> with use_backend("chunked"):                        # doctest: +SKIP
...     out = attention(q, k, v)

Backends: ``sdpa`` (PyTorch fused kernels), ``chunked`` (exact, query-chunked, bounded memory),
``math`` (fp32 reference), ``xformers`` (CUDA only, imported only when chosen), ``auto``.
Importing this package does not import torch.
"""

from genav.attention.backends import BACKENDS
from genav.attention.core import (
    CHOICES,
    ENV_VAR,
    attention,
    available_backends,
    backend_status,
    requested_backend,
    resolve_backend,
    use_backend,
)

__all__ = [
    "BACKENDS",
    "CHOICES",
    "ENV_VAR",
    "GenavAttnProcessor",
    "GenavStableAudioAttnProcessor",
    "attention",
    "available_backends",
    "backend_status",
    "requested_backend",
    "resolve_backend",
    "set_genav_attention",
    "use_backend",
]


def __getattr__(name: str):
    # The diffusers processor imports diffusers; load it only when asked for.
    if name in ("GenavAttnProcessor", "GenavStableAudioAttnProcessor", "set_genav_attention"):
        from genav.attention import diffusers_processor

        return getattr(diffusers_processor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
