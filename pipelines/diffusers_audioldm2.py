"""Text-to-audio through a local diffusers ``AudioLDM2Pipeline`` folder, with genav's API.

What AudioLDM2 allows: its UNet denoises a mel-spectrogram latent ``(B, C, T, mel_bins / f)``
where ``f = 2 ** (len(vae.block_out_channels) - 1)`` is the VAE's downsampling (4 for the
cvssp checkpoints) and the SpeechT5 HiFi-GAN vocoder turns each mel frame into
``prod(vocoder.upsample_rates)`` samples (160 at 16 kHz). One latent frame is therefore
``hop = f * prod(upsample_rates)`` samples (640 = 40 ms for cvssp/audioldm2), and the pipeline
can only produce whole latent frames. Its UNet is convolutional, so any whole number of frames
works; the maximum here is the window it was trained on and uses by default,
``unet.sample_size * hop / sr`` (10.24 s for the cvssp checkpoints).

For ``n = round(duration * sr)`` samples the wrapper hands the pipeline seeded latents of
``ceil(n / hop)`` frames (and an ``audio_length_in_s`` that maps to exactly that many mel
frames), decodes them itself (VAE -> mel -> vocoder) and trims only the last partial frame.
Decoding outside the pipeline also skips its CLAP re-ranking of ``num_outputs > 1``, so output
``i`` always comes from seed ``i``.

The cvssp checkpoints save the language model as a bare ``GPT2Model``, which with transformers 5
lacks the generation helpers diffusers' prompt loop calls; the wrapper then puts the same weights
in a ``GPT2LMHeadModel`` (identical hidden states, the loop only reads those).

The UNet's attention layers use diffusers' standard processors (``AttnProcessor2_0``: self-,
GPT-2 and T5 cross-attention, the latter with a key mask), so
:func:`genav.attention.set_genav_attention` routes all of them through genav's core.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from genav.pipelines.diffusers_t2a import DiffusersTextToAudioPipeline, to_float32
from genav.pipelines.generation_common import seeded_noise


class AudioLDM2TextToAudioPipeline(DiffusersTextToAudioPipeline):
    """A diffusers ``AudioLDM2Pipeline`` behind genav's ``__call__`` and :class:`AudioOutput`
    (mono, ``(P * num_outputs, 1, N)``)."""

    diffusers_class = "AudioLDM2Pipeline"

    def __init__(self, pipe: Any, **kwargs: Any) -> None:
        pipe.language_model = _with_generation_helpers(pipe.language_model)
        super().__init__(pipe, **kwargs)

    @staticmethod
    def _keep_float32(pipe: Any) -> None:
        # decoding is a small share of the time; float32 keeps the mel and the vocoder exact
        to_float32(pipe.vae, pipe.vocoder)

    # -- properties ------------------------------------------------------------------------------
    @property
    def denoiser(self) -> torch.nn.Module:
        return self.pipe.unet

    @property
    def sample_rate(self) -> int:
        return int(self.pipe.vocoder.config.sampling_rate)

    @property
    def mel_hop(self) -> int:
        """Audio samples per mel frame (the vocoder's total upsampling)."""
        return math.prod(int(r) for r in self.pipe.vocoder.config.upsample_rates)

    @property
    def hop_length(self) -> int:
        """Audio samples per latent frame: VAE factor x mel hop."""
        return int(self.pipe.vae_scale_factor) * self.mel_hop

    @property
    def max_duration(self) -> float:
        """Seconds of the UNet's default window: ``sample_size * hop / sr``."""
        return self.pipe.unet.config.sample_size * self.hop_length / self.sample_rate

    # -- hooks -----------------------------------------------------------------------------------
    def _initial_latents(self, seeds: list[int], frames: int) -> torch.Tensor:
        """Seeded noise ``(len(seeds), C, frames, W)`` with ``W = mel_bins / f``; drawn frame by
        frame (through :func:`seeded_noise`) so a longer clip starts like a shorter one."""
        channels = int(self.pipe.unet.config.in_channels)
        width = int(self.pipe.vocoder.config.model_in_dim) // int(self.pipe.vae_scale_factor)
        noise = seeded_noise(seeds, (channels * width, frames))  # (B, C*W, T)
        return noise.unflatten(1, (channels, width)).transpose(2, 3).contiguous()

    def _denoise(self, kwargs: dict[str, Any], *, duration: float, frames: int) -> torch.Tensor:
        # the pipeline turns seconds into mel frames with int(); half a mel frame above the exact
        # length makes that land on frames * f whatever the float rounding
        mel_frames = frames * int(self.pipe.vae_scale_factor)
        seconds = (mel_frames + 0.5) * self.mel_hop / self.sample_rate
        return self.pipe(audio_length_in_s=seconds, **kwargs).audios

    def _decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Latents -> mono waveforms ``(B, 1, frames * hop)``."""
        vae = self.pipe.vae
        mel = vae.decode(latents.to(torch.float32) / vae.config.scaling_factor).sample  # (B, 1, T, M)
        return self.pipe.vocoder(mel.squeeze(1)).unsqueeze(1)


def _with_generation_helpers(model: torch.nn.Module) -> torch.nn.Module:
    """A ``GPT2Model`` as a ``GPT2LMHeadModel`` with the same weights (its head is tied to the
    token embedding); any model that already has the generation helpers is returned as is."""
    from transformers import GPT2LMHeadModel, GPT2Model

    if hasattr(model, "_update_model_kwargs_for_generation") or not isinstance(model, GPT2Model):
        return model
    with torch.device("meta"):
        lm = GPT2LMHeadModel(model.config)
    lm.transformer = model
    lm.tie_weights()
    return lm.to(model.device).eval()
