"""KL divergence between classifier outputs of paired reference and generated audio.

Direction is always KL(reference || generated), averaged over pairs. The math is float32 torch, as
in the reference scripts, so results match them to float rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genav.errors import InputError
from genav.eval.audio_prep import Preparation

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


@dataclass(frozen=True)
class KldVariant:
    """One published KLD recipe: formula, preparation, and the classifier its numbers assume.

    ``reference_family``/``reference_rates``: the classifier (and rates) the published numbers
    use; results from any other classifier are labelled ``comparable_to_published: false``.
    ``same_length``: cut both clips of a pair to the shorter one first (audiocraft passes one
    length for both).
    """

    name: str
    source: str
    eps: float | None
    sample_rate: int
    prep: Preparation
    reference_family: str
    reference_rates: tuple[int, ...]
    resampler_note: str = "windowed sinc as torchaudio's default (Hann, 6 zero crossings, rolloff 0.99)"
    same_length: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "as_in": self.source,
            "formula": "sum_c p (log p - log q)" if self.eps is None else f"sum_c p (log p - log(q + {self.eps:g}))",
            "direction": "KL(reference || generated), mean over pairs",
            "preparation": self.prep.to_dict(),
            "resampler": self.resampler_note,
            "published_with": f"{self.reference_family} at {'/'.join(str(r) for r in self.reference_rates)} Hz",
            "prepared_at": "the classifier's sample rate",
            "same_length": self.same_length,
        }


KLD_VARIANTS: dict[str, KldVariant] = {
    v.name: v
    for v in (
        KldVariant(
            name="panns16k-softmax",
            source="av-benchmark (MMAudio tables, KL_PANNs)",
            eps=None,
            sample_rate=16000,
            prep=Preparation(channels="mean", remove_dc=True, max_seconds=8.0),
            reference_family="cnn14",
            reference_rates=(16000,),
        ),
        KldVariant(
            name="passt-softmax",
            source="av-benchmark (KL_PaSST)",
            eps=None,
            sample_rate=32000,
            prep=Preparation(channels="mean", remove_dc=True, exact_seconds=10.0),
            reference_family="passt",
            reference_rates=(32000,),
        ),
        KldVariant(
            name="panns-softmax-eps",
            source="audioldm_eval",
            eps=1e-6,
            sample_rate=16000,
            prep=Preparation(channels="first", remove_dc=True, min_seconds=2.0),
            reference_family="cnn14",
            reference_rates=(16000, 32000),
        ),
        KldVariant(
            name="passt-softmax-eps-seg10",
            source="audiocraft",
            eps=1e-6,
            sample_rate=32000,
            prep=Preparation(channels="mean", segment_seconds=10.0, min_segment_seconds=0.15),
            reference_family="passt",
            reference_rates=(32000,),
            resampler_note="windowed sinc as torchaudio's default; audiocraft resamples with julius "
            "(also windowed sinc, slightly different filter)",
            same_length=True,
        ),
    )
}


def get_variant(name: str) -> KldVariant:
    if name not in KLD_VARIANTS:
        raise InputError(f"unknown KLD variant {name!r}; known: {', '.join(KLD_VARIANTS)}")
    return KLD_VARIANTS[name]
