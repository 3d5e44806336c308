"""The diffusers-style inputs every genav pipeline ``__call__`` accepts besides its own: a prompt
*or* its precomputed embeddings (``prompt_embeds``/``negative_prompt_embeds``), the initial noise
(``latents``) and the form of the result (``output_type``). Checked here once for all pipelines.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch

from genav.encoders import TextEmbedding
from genav.errors import InputError
from genav.pipelines.generation_common import prompt_list, seeded_noise
from genav.pipelines.output import AudioOutput

OUTPUT_TYPES = ("np", "pt", "wav")


def check_output_type(output_type: str) -> str:
    """``"np"`` (numpy audio), ``"pt"`` (a torch tensor) or ``"wav"`` (also in-memory WAV files).

    Raises:
        InputError: any other value.
    """
    if output_type not in OUTPUT_TYPES:
        raise InputError(f"output_type must be one of {', '.join(OUTPUT_TYPES)}, got {output_type!r}")
    return output_type


def prompt_inputs(
    pipe: Any,
    prompt: str | list[str] | None,
    prompt_embeds: TextEmbedding | None,
    repeat: int,
    *,
    required: bool,
) -> tuple[list[str] | None, TextEmbedding | None, int]:
    """The prompts (None when embeddings were given), their embedding with each row repeated
    ``repeat`` times (prompt-major), and how many prompts there are (0 for none).

    ``prompt_embeds``: ``tokens (P, L, text_dim)``, ``mask (P, L)``, ``pooled (P, text_dim)``, as
    ``pipe.text_encoder.encode`` returns them.

    Raises:
        InputError: both or (when ``required``) neither given; embeddings of the wrong shape.
    """
    if prompt is not None and prompt_embeds is not None:
        raise InputError("give prompt or prompt_embeds, not both")
    if prompt_embeds is None:
        if prompt is None and required:
            raise InputError("a prompt (or prompt_embeds) is required for text-to-audio")
        prompts = prompt_list(prompt, required=False)
        return prompts, pipe.encode_prompts(prompts, repeat), len(prompts or [])
    emb = _checked_embedding(prompt_embeds, pipe.config.text_dim, "prompt_embeds").to(pipe.device)
    return None, TextEmbedding(*(t.repeat_interleave(repeat, 0) for t in (emb.tokens, emb.mask, emb.pooled))), len(emb)


def negative_inputs(
    pipe: Any,
    negative_prompt: str | list[str] | None,
    negative_prompt_embeds: TextEmbedding | None,
    rows: int,
    repeat: int,
) -> TextEmbedding | None:
    """The negative side for ``rows * repeat`` outputs: a negative prompt (one serves all rows) or
    its embeddings (one row or ``rows`` rows), or None.

    Raises:
        InputError: both given; a count that is neither 1 nor ``rows``; embeddings of the wrong shape.
    """
    if negative_prompt is not None and negative_prompt_embeds is not None:
        raise InputError("give negative_prompt or negative_prompt_embeds, not both")
    if negative_prompt_embeds is None:
        return pipe.negative_embedding(negative_prompt, rows, repeat)
    emb = _checked_embedding(negative_prompt_embeds, pipe.config.text_dim, "negative_prompt_embeds")
    if len(emb) not in (1, rows):
        raise InputError(f"got {len(emb)} negative_prompt_embeds rows for {rows} prompts")
    times = repeat * (rows if len(emb) == 1 else 1)
    return TextEmbedding(*(t.to(pipe.device).repeat_interleave(times, 0) for t in (emb.tokens, emb.mask, emb.pooled)))


def _checked_embedding(emb: Any, text_dim: int, name: str) -> TextEmbedding:
    tokens, mask, pooled = (getattr(emb, k, None) for k in ("tokens", "mask", "pooled"))
    if not all(isinstance(t, torch.Tensor) for t in (tokens, mask, pooled)):
        raise InputError(f"{name} must be a TextEmbedding (tokens, mask, pooled tensors)")
    rows = tokens.shape[0] if tokens.dim() == 3 else -1
    if tokens.shape[-1] != text_dim or mask.shape != tokens.shape[:2] or pooled.shape != (rows, text_dim):
        raise InputError(
            f"{name}: expected tokens (P, L, {text_dim}), mask (P, L) and pooled (P, {text_dim}); "
            f"got {tuple(tokens.shape)}, {tuple(mask.shape)}, {tuple(pooled.shape)}"
        )
    return TextEmbedding(tokens.float(), mask.bool(), pooled.float())


def initial_latents(latents: torch.Tensor | None, seeds: list[int], shape: tuple[int, int]) -> torch.Tensor:
    """The starting noise ``(len(seeds), C, T)`` for ``shape = (C, T)``: ``latents`` as given, or
    seeded noise (:func:`seeded_noise`).

    Raises:
        InputError: ``latents`` of another shape or not finite.
    """
    if latents is None:
        return seeded_noise(seeds, shape)
    return checked_latents(latents, (len(seeds), *shape))


def checked_latents(latents: Any, expected: tuple[int, ...]) -> torch.Tensor:
    """``latents`` as a float32 CPU tensor after checking its shape ``expected`` (outputs first).

    Raises:
        InputError: not a tensor of that shape, or not finite.
    """
    if not isinstance(latents, torch.Tensor) or tuple(latents.shape) != tuple(expected):
        got = tuple(latents.shape) if isinstance(latents, torch.Tensor) else type(latents).__name__
        raise InputError(f"latents must be a tensor of shape {tuple(expected)} (outputs, latent channels, ...), got {got}")
    if not bool(torch.isfinite(latents).all()):
        raise InputError("latents must be finite")
    return latents.detach().float().cpu()


def finish_output(out: AudioOutput, output_type: str, *, latents_given: bool = False, embeds_given: bool = False) -> AudioOutput:
    """Put the result in the asked-for form and record how it was made in the metadata."""
    out.metadata["settings"].update(
        output_type=output_type, latents="given" if latents_given else "seeded",
        prompt_embeds="given" if embeds_given else None,
    )  # fmt: skip
    if output_type == "pt":
        out.audio = torch.from_numpy(np.ascontiguousarray(out.audio))
    elif output_type == "wav":
        out.wav = [_wav_bytes(out.audio[i], out.sample_rate) for i in range(len(out))]
    return out


def _wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """One output ``(C, N)`` as a 32-bit float WAV file in memory (lossless)."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.asarray(audio).T, sample_rate, format="WAV", subtype="FLOAT")
    return buffer.getvalue()
