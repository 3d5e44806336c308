"""The audio-to-video adaptor: a sound -> per-slot context tokens of a frozen text-to-video backbone.

The idea is TempoTokens' (Yariv et al., AAAI 2024: audio windows mapped to pseudo-tokens that
each video frame sees in its text cross-attention), made backbone-agnostic and exact in time:

- for every latent slot ``s`` of a clip (:attr:`~genav.models.video_backbone.SlotLayout.times`)
  a window of ``window_s`` seconds of audio *centred on the slot's own time* is cut (zeros outside
  the clip), so a slot's tokens are about the same instant at any frame rate (TempoTokens' windows
  drift: 1 s of audio in training and 2 s at inference for the same 24 frames);
- its log-mel spectrogram plus an onset-strength channel (spectral flux: the mean rise of the
  log-mel bands, what onset detectors peak-pick) goes through a small 1-D conv encoder over time;
- each slot gets ``local_tokens`` tokens from the centre ``local_s`` of the window (split in
  time, so "just before" and "just after" the slot differ), one average per half-width in
  ``scales`` (wider context) and one pooled token (the mean over all slots given: what sounds);
- a type embedding per token kind and a shared linear map project them into the backbone's
  context space (``context_dim``). Learned null tokens stand for "no audio" (dropped rows in
  training; the unconditional branch of guidance).

The backbone stays frozen: the adaptor is trained through the backbone's own ``training_loss``
(see :mod:`genav.train.a2v`), plus a small penalty on the tokens' norm
(:func:`token_norm_penalty`) that keeps them in the range of real text tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genav.codecs.mel import mel_filterbank
from genav.config import Config
from genav.errors import ConfigError, InputError
from genav.models.video_backbone import FrameContext
from genav.nn import count_parameters

LOG_FLOOR = 1e-5
# rough centre and spread of log(mel power + floor) of synthetic-world sounds, so the encoder's
# input is about unit scale without a data-dependent normaliser
LOG_MEL_SHIFT, LOG_MEL_SCALE = 7.0, 4.0


@dataclass(frozen=True)
class A2VAdaptorConfig(Config):
    """Settings of the audio-to-video adaptor.

    ``backbone``: the text-to-video model it was trained on (a name or folder) and
    ``backbone_checksum`` its weights' checksum; ``context_dim``: that backbone's D.
    Audio: ``sample_rate`` Hz, STFT ``n_fft``/``hop`` samples, ``n_mels`` bands, windows of
    ``window_s`` seconds centred on each slot. Tokens: ``local_tokens`` from the centre
    ``local_s`` s, one per half-width in ``scales`` (s), one pooled. Encoder: ``layers`` 1-D convs
    of ``hidden`` channels, kernel ``kernel``. Training: ``p_drop_audio``/``p_drop_prompt`` per-row
    dropout for guidance, ``p_prompt`` the share of rows given their caption, ``norm_weight`` the
    token-norm penalty's weight. ``max_seconds``: the longest sound accepted.
    """

    model_type: ClassVar[str] = "a2v-adaptor"

    family: str = "a2v"
    backbone: str = "genav-t2v-tiny"
    backbone_checksum: str = ""
    context_dim: int = 384
    sample_rate: int = 16000
    n_fft: int = 512
    hop: int = 160
    n_mels: int = 40
    window_s: float = 0.48
    local_s: float = 0.1
    local_tokens: int = 2
    scales: tuple[float, ...] = (0.12, 0.24)
    hidden: int = 128
    layers: int = 3
    kernel: int = 5
    p_drop_audio: float = 0.1
    p_drop_prompt: float = 0.1
    p_prompt: float = 0.5
    norm_weight: float = 1e-3
    max_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.hop < 1 or self.n_fft < self.hop or self.n_mels < 1 or self.hidden < 8 or self.layers < 1:
            raise ConfigError("A2VAdaptorConfig: need hop >= 1, n_fft >= hop, n_mels >= 1, hidden >= 8, layers >= 1")
        if self.local_tokens < 1 or not self.scales or self.kernel % 2 == 0:
            raise ConfigError("A2VAdaptorConfig: need local_tokens >= 1, at least one scale and an odd kernel")
        half = self.window_frames // 2 * self.hop / self.sample_rate
        if not 0 < self.local_s / 2 <= half or any(not 0 < s <= half + 1e-9 for s in self.scales):
            raise ConfigError(f"A2VAdaptorConfig: local_s / 2 and scales must be in (0, {half:g}] s (half a window)")
        if not all(0 <= p <= 1 for p in (self.p_drop_audio, self.p_drop_prompt, self.p_prompt)):
            raise ConfigError("A2VAdaptorConfig: probabilities must be in [0, 1]")

    @property
    def window_samples(self) -> int:
        """Window length in samples: an even number of hops, so the centre falls on an STFT frame."""
        return 2 * self.hop * max(1, round(self.window_s * self.sample_rate / (2 * self.hop)))

    @property
    def window_frames(self) -> int:
        return self.window_samples // self.hop + 1

    @property
    def tokens_per_slot(self) -> int:
        return self.local_tokens + len(self.scales) + 1


class A2VAdaptor(nn.Module):
    """Sound ``(B, N)`` + slot times ``(S,)`` s -> slot tokens ``(B, S, T, D)`` (see the module docstring)."""

    def __init__(self, config: A2VAdaptorConfig) -> None:
        super().__init__()
        self.config = c = config
        fb = mel_filterbank(c.sample_rate, c.n_fft, c.n_mels, 0.0, c.sample_rate / 2).float()
        self.register_buffer("filterbank", fb, persistent=False)
        self.register_buffer("stft_window", torch.hann_window(c.n_fft), persistent=False)
        pad = c.kernel // 2
        self.conv_in = nn.Conv1d(c.n_mels + 1, c.hidden, c.kernel, padding=pad)
        self.convs = nn.ModuleList(nn.Conv1d(c.hidden, c.hidden, c.kernel, padding=pad) for _ in range(c.layers - 1))
        self.norms = nn.ModuleList(nn.GroupNorm(8 if c.hidden % 8 == 0 else 1, c.hidden) for _ in range(c.layers - 1))
        self.type_embed = nn.Parameter(torch.randn(c.tokens_per_slot, c.hidden) * 0.02)
        self.out_norm = nn.LayerNorm(c.hidden)
        self.proj = nn.Linear(c.hidden, c.context_dim)
        self.null_tokens = nn.Parameter(torch.randn(c.tokens_per_slot, c.context_dim) * 0.02)

    def num_parameters(self) -> int:
        return count_parameters(self)

    def windows(self, wave: Tensor, slot_times: Tensor) -> Tensor:
        """Audio windows ``(B, S, W)`` centred on each slot time (zeros beyond the clip).

        ``wave`` ``(B, N)`` at :attr:`config.sample_rate`; ``slot_times`` ``(S,)`` seconds.
        """
        w = self.config.window_samples
        centres = torch.round(slot_times.double().to(wave.device) * self.config.sample_rate).long()
        padded = F.pad(wave.float(), (w // 2, w // 2))
        index = centres[:, None] + torch.arange(w, device=wave.device)[None]  # (S, W) into the padded wave
        inside = (index >= 0) & (index < padded.shape[-1])  # slots past the clip see zeros
        return padded[:, index.clamp(0, padded.shape[-1] - 1)] * inside

    def features(self, windows: Tensor) -> Tensor:
        """Windows ``(N, W)`` -> encoder input ``(N, n_mels + 1, F)``: scaled log-mel and onset strength."""
        c = self.config
        spec = torch.stft(windows, c.n_fft, c.hop, window=self.stft_window, center=True, return_complex=True)
        log_mel = torch.log(torch.einsum("mf,nft->nmt", self.filterbank, spec.abs().pow(2)) + LOG_FLOOR)
        flux = F.relu(log_mel.diff(dim=-1)).mean(1, keepdim=True)
        onset = F.pad(flux, (1, 0))
        return torch.cat([(log_mel + LOG_MEL_SHIFT) / LOG_MEL_SCALE, onset], 1)

    def encode(self, features: Tensor) -> Tensor:
        """``(N, n_mels + 1, F)`` -> ``(N, hidden, F)``: one conv, then residual conv blocks."""
        h = F.gelu(self.conv_in(features))
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = h + F.gelu(norm(conv(h)))
        return h

    def summarise(self, h: Tensor, slots: int) -> Tensor:
        """Encoder output ``(B * S, hidden, F)`` -> per-slot features ``(B, S, T, hidden)``:
        local parts, multi-scale averages, then the pooled token (mean over the S slots)."""
        c = self.config
        centre = c.window_frames // 2
        seconds_per_frame = c.hop / c.sample_rate
        half = max(1, round(c.local_s / 2 / seconds_per_frame))
        local = F.adaptive_avg_pool1d(h[:, :, centre - half : centre + half + 1], c.local_tokens)  # (BS, C, K)
        parts = [local.transpose(1, 2)]
        for s in c.scales:
            r = max(1, round(s / seconds_per_frame))
            parts.append(h[:, :, max(0, centre - r) : centre + r + 1].mean(-1, keepdim=True).transpose(1, 2))
        per_slot = torch.cat(parts, 1).unflatten(0, (-1, slots))  # (B, S, T - 1, C)
        pooled = h.mean(-1).unflatten(0, (-1, slots)).mean(1)  # (B, C)
        pooled = pooled[:, None, None].expand(-1, slots, 1, -1)
        return torch.cat([per_slot, pooled], 2)

    def forward(self, wave: Tensor, slot_times: Tensor, *, keep_audio: Tensor | None = None) -> Tensor:
        """Slot tokens ``(B, S, T, context_dim)`` of ``wave`` ``(B, N)`` (mono, ``sample_rate`` Hz)
        at ``slot_times`` ``(S,)`` seconds; rows with ``keep_audio`` ``(B,)`` False get the null tokens.

        Raises :class:`InputError` for a wave that is not ``(B, N)`` or empty slot times.
        """
        if wave.ndim != 2 or slot_times.ndim != 1 or slot_times.numel() == 0:
            raise InputError(f"expected wave (B, N) and slot times (S,), got {tuple(wave.shape)}, {tuple(slot_times.shape)}")
        b, s = wave.shape[0], slot_times.shape[0]
        windows = self.windows(wave.to(self.proj.weight.device), slot_times)
        feats = self.summarise(self.encode(self.features(windows.flatten(0, 1))), s)
        tokens = self.proj(self.out_norm(feats + self.type_embed))
        if keep_audio is not None:
            null = self.null_tokens.to(tokens.dtype)[None, None].expand(b, s, -1, -1)
            tokens = torch.where(keep_audio.to(tokens.device)[:, None, None, None], tokens, null)
        return tokens

    def null(self, batch: int, slots: int) -> Tensor:
        """The "no audio" slot tokens ``(batch, slots, T, context_dim)``."""
        return self.null_tokens[None, None].expand(batch, slots, -1, -1)


def token_norm_penalty(tokens: Tensor) -> Tensor:
    """Mean squared token norm per context dimension, ``mean(|tok|^2) / D`` (a scalar): keeps the
    adaptor's tokens near the scale of the text tokens the backbone was trained on."""
    return tokens.float().pow(2).mean()


def audio_context(prompt: FrameContext, slot_tokens: Tensor, slot_times: Tensor) -> FrameContext:
    """The backbone context of audio (+ prompt): the prompt's global tokens, mask and pooled
    embedding with ``slot_tokens`` ``(B, S, T, D)`` at ``slot_times`` ``(S,)`` s (all real)."""
    if prompt.batch_size != slot_tokens.shape[0]:
        raise InputError(f"{prompt.batch_size} prompt rows for {slot_tokens.shape[0]} sounds")
    return FrameContext(prompt.tokens, prompt.mask, slot_tokens, None, slot_times.float().cpu(), prompt.pooled)
