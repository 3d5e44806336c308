"""KL divergence between classifier outputs of paired reference and generated audio.

Direction is always KL(reference || generated), averaged over pairs. The math is float32 torch, as
in the reference scripts, so results match them to float rounding. The published recipes (which
classifier, rate and preparation each paper's numbers assume) are
:mod:`genav.eval.runners.kld_variants`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genav.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import torch


def kl_divergence(
    ref_logits: torch.Tensor | np.ndarray, gen_logits: torch.Tensor | np.ndarray, *, eps: float | None = None
) -> float:
    """Mean over pairs of KL(softmax(ref) || softmax(gen)).

    Args:
        ref_logits: (N, C) classifier logits of the reference items.
        gen_logits: (N, C) logits of the generated items, row i paired with reference row i.
        eps: None for ``sum p (log p - log q)`` (av-benchmark); a number (1e-6 in audioldm_eval
            and audiocraft) for ``sum p (log p - log(q + eps))``, which caps a pair at -log(eps)
            and is slightly negative for identical inputs.

    Returns:
        The mean KL divergence over the N pairs (a Python float).

    Raises:
        InputError: the arrays are not both ``(N, C)`` of one shape, or N is 0.

    Source: Kullback & Leibler (1951); as an audio metric over PANNs/PaSST outputs: AudioLDM's
    ``audioldm_eval`` (Liu et al., 2023) and av-benchmark (MMAudio, Cheng et al., 2025).
    """
    import torch

    ref = torch.as_tensor(ref_logits).to(torch.float32)
    gen = torch.as_tensor(gen_logits).to(torch.float32)
    if ref.ndim != 2 or ref.shape != gen.shape:
        raise InputError(f"KL needs two (N, C) logit arrays of the same shape, got {tuple(ref.shape)} and {tuple(gen.shape)}")
    if ref.shape[0] == 0:
        raise InputError("KL needs at least one pair")
    p = torch.softmax(ref, dim=1)
    if eps is None:
        # log_softmax on both sides: identical logits give exactly 0.
        per_pair = (p * (torch.log_softmax(ref, dim=1) - torch.log_softmax(gen, dim=1))).sum(dim=1)
    else:
        q = torch.softmax(gen, dim=1)
        # xlogy: a probability that underflows to 0 contributes 0, as torch's kl_div does.
        per_pair = (torch.xlogy(p, p) - p * torch.log(q + eps)).sum(dim=1)
    return float(per_pair.mean())


def kl_per_pair(
    ref_logits: torch.Tensor | np.ndarray, gen_logits: torch.Tensor | np.ndarray, *, eps: float | None = None
) -> list[float]:
    """KL(ref_i || gen_i) for each row pair; (N, C) inputs -> N floats (same math as kl_divergence).

    Raises:
        InputError: as :func:`kl_divergence`.
    """
    import torch

    ref = torch.as_tensor(ref_logits)
    gen = torch.as_tensor(gen_logits)
    return [kl_divergence(ref[i : i + 1], gen[i : i + 1], eps=eps) for i in range(ref.shape[0])]
