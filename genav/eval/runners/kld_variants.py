"""The published KLD recipes: formula (epsilon), preparation, and the classifier their numbers assume.

Each :class:`KldVariant` names the evaluation suite whose numbers it reproduces; the formula itself
is :func:`genav.eval.metrics.kld.kl_divergence`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genav.errors import InputError
from genav.eval.runners.audio_prep import Preparation

__all__ = ["KLD_VARIANTS", "KldVariant", "get_variant"]


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
    """The KLD recipe called ``name``; InputError naming the known ones otherwise."""
    if name not in KLD_VARIANTS:
        raise InputError(f"unknown KLD variant {name!r}; known: {', '.join(KLD_VARIANTS)}")
    return KLD_VARIANTS[name]
