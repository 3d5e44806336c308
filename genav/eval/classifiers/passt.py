"""PaSST-S (Koutini et al. 2022, "Efficient Training of Audio Transformers with Patchout"), written
for genav from the paper and the published checkpoint layout, loading the official AudioSet
checkpoints strictly (``passt-s-f128-p16-s10-ap.476-swa.pt`` and the other ``p16 s10`` 10 s files).

Why not the ``hear21passt`` package: it declares torchaudio as a dependency (which breaks
transformers beside our torch) and imports timm, whose import needs a torchvision built for the
installed torch; on a CPU-only torch neither works. Only its mel front end uses torchaudio (the
Kaldi mel filterbank), so the front end below computes that filterbank from its formula.

Front end (evaluation mode, no augmentation), 32 kHz mono in:
pre-emphasis ``x[n] - 0.97 x[n-1]`` (one sample shorter), STFT n_fft 1024, hop 320, symmetric Hann
window of 800 zero-padded to 1024, centred with reflect padding, power spectrum, Kaldi mel
filterbank (128 bins, 0-15000 Hz, mel = 1127 ln(1 + f / 700), plus a zero Nyquist column),
``log(mel + 1e-5)``, then ``(x + 4.5) / 5``. A 10 s clip gives 1000 frames.

Network: 16x16 patches with stride 10x10 over (128 mels x frames) -> 12 x 99 patches of 768;
separate frequency and time position embeddings; cls and distillation tokens (with their own
position embedding); 12 pre-norm blocks (12 heads, MLP 3072, GELU, LayerNorm eps 1e-6); final
LayerNorm. Embedding = mean of the cls and distillation tokens (768-d); logits = head (LayerNorm +
Linear to 527) of that embedding, as the released inference code does (``head_dist`` is stored but
unused). Clips are zero-padded to 10 s (as av-benchmark prepares them); longer inputs than the
time position embedding (about 10 s) are refused, not cut.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from genav.attention import attention
from genav.errors import CheckpointError, InputError

SAMPLE_RATE = 32000
N_FFT, HOP, WIN, N_MELS = 1024, 320, 800, 128
FMIN, FMAX = 0.0, 15000.0
NUM_CLASSES = 527
EMBED_DIM = 768
PATCH, STRIDE = 16, 10
FREQ_PATCHES, TIME_PATCHES = 12, 99  # (128 - 16) // 10 + 1, (998 - 16) // 10 + 1
MIN_SAMPLES = 1  # shorter clips are padded to CLIP_SAMPLES
CLIP_SAMPLES = 10 * SAMPLE_RATE


def kaldi_mel_banks(n_mels: int, n_fft: int, sample_rate: int, fmin: float, fmax: float) -> np.ndarray:
    """Kaldi's triangular mel filterbank (no VTLN warp) -> (n_mels, n_fft // 2 + 1), Nyquist column 0.

    Triangles are linear in mel (``1127 ln(1 + f / 700)``) between edges spaced evenly from fmin to
    fmax; bin k sits at ``k * sample_rate / n_fft`` for k < n_fft / 2.
    """
    mel = lambda f: 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)  # noqa: E731
    lo, hi = mel(fmin), mel(fmax)
    delta = (hi - lo) / (n_mels + 1)
    bins = np.arange(n_mels)[:, None]
    left, center, right = lo + bins * delta, lo + (bins + 1) * delta, lo + (bins + 2) * delta
    fft_mel = mel(np.arange(n_fft // 2) * sample_rate / n_fft)[None, :]
    up = (fft_mel - left) / (center - left)
    down = (right - fft_mel) / (right - center)
    banks = np.maximum(0.0, np.minimum(up, down))
    return np.pad(banks, ((0, 0), (0, 1))).astype(np.float32)


class PasstFrontEnd(nn.Module):
    """wave (B, T) at 32 kHz -> normalised log-mel (B, 128, frames), frames = 1 + (T - 1) // 320."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(WIN, periodic=False), persistent=False)
        banks = kaldi_mel_banks(N_MELS, N_FFT, SAMPLE_RATE, FMIN, FMAX)
        self.register_buffer("mel_banks", torch.from_numpy(banks), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = wave[:, 1:] - 0.97 * wave[:, :-1]
        spec = torch.stft(x, N_FFT, hop_length=HOP, win_length=WIN, window=self.window, center=True,
                          pad_mode="reflect", normalized=False, return_complex=True)  # fmt: skip
        power = spec.real**2 + spec.imag**2
        mel = torch.matmul(self.mel_banks, power)
        return (torch.log(mel + 1e-5) + 4.5) / 5.0


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, d // self.heads).unbind(2)  # (B, N, h, dh) each
        return self.proj(attention(q, k, v).reshape(b, n, d))  # softmax(q k^T / sqrt(d_head)) v


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(nn.functional.gelu(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, mlp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class _PatchEmbed(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(1, dim, PATCH, stride=STRIDE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class Passt(nn.Module):
    """PaSST: wave (B, T) at 32 kHz -> (logits (B, 527), embedding (B, 768)). Names follow the
    released state dict (``patch_embed.proj``, ``blocks.N``, ``head.0/1``, ``head_dist``...)."""

    def __init__(
        self, dim: int = EMBED_DIM, depth: int = 12, heads: int = 12, num_classes: int = NUM_CLASSES,
        time_patches: int = TIME_PATCHES,
    ) -> None:  # fmt: skip
        super().__init__()
        self.front_end = PasstFrontEnd()
        self.patch_embed = _PatchEmbed(dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.new_pos_embed = nn.Parameter(torch.zeros(1, 2, dim))
        self.freq_new_pos_embed = nn.Parameter(torch.zeros(1, dim, FREQ_PATCHES, 1))
        self.time_new_pos_embed = nn.Parameter(torch.zeros(1, dim, 1, time_patches))
        self.blocks = nn.Sequential(*[_Block(dim, heads, 4 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, num_classes))
        self.head_dist = nn.Linear(dim, num_classes)

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    def embed(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, 128, frames) normalised log-mel -> (B, 768) embedding."""
        x = self.patch_embed(mel[:, None])  # (B, D, F, T')
        b, _, _, t = x.shape
        if t > self.time_new_pos_embed.shape[-1]:
            seconds = (self.time_new_pos_embed.shape[-1] - 1) * STRIDE * HOP / SAMPLE_RATE
            raise InputError(
                f"PaSST takes at most ~{seconds + 0.5:.0f} s of audio (got {t} time patches); cut clips to 10 s"
            )
        x = x + self.time_new_pos_embed[..., :t] + self.freq_new_pos_embed
        x = x.flatten(2).transpose(1, 2)  # (B, F*T', D), frequency-major as the released model
        cls = self.cls_token.expand(b, -1, -1) + self.new_pos_embed[:, :1]
        dist = self.dist_token.expand(b, -1, -1) + self.new_pos_embed[:, 1:]
        x = self.norm(self.blocks(torch.cat([cls, dist, x], dim=1)))
        return (x[:, 0] + x[:, 1]) / 2

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T) at 32 kHz -> (logits, embedding); shorter clips are zero-padded to 10 s first, as
        av-benchmark does before PaSST (its KL/FD/IS_PaSST), so every clip fills the position grid."""
        if wave.shape[-1] < CLIP_SAMPLES:
            wave = nn.functional.pad(wave, (0, CLIP_SAMPLES - wave.shape[-1]))
        embedding = self.embed(self.front_end(wave))
        return self.head(embedding), embedding


def load_passt(path: str | Path) -> Passt:
    """Load an official PaSST-S ``.pt`` (a plain state dict) strictly; safe loading (tensors only).

    Args:
        path: the released PaSST-S checkpoint; width, depth, classes and time patches are read from
            its tensors.

    Returns:
        A :class:`Passt` in eval mode, frozen: 32 kHz waves (B, T) (padded to 10 s) -> (B, 527)
        logits and (B, 768) embeddings.

    Raises:
        CheckpointError: a missing or unreadable file, not a PaSST layout, or a mismatched tensor.

    Source: PaSST, Koutini et al. 2022 ("Efficient Training of Audio Transformers with Patchout").
    """
    from genav.eval.classifiers.state_dicts import load_released_model

    return load_released_model(Path(path), "PaSST", lambda state, p: Passt(**_shape_from_state(state, p)))


def _shape_from_state(state: dict[str, torch.Tensor], path: Path) -> dict[str, int]:
    """Width, depth, classes and time patches of a released layout (PaSST-S: 768, 12, 527, 99).

    Heads are width / 64, as in every released PaSST; other keys and shapes are then checked
    strictly against the model built from these.
    """
    for key in ("cls_token", "head.1.weight", "time_new_pos_embed"):
        if key not in state:
            raise CheckpointError(f"{path}: not a PaSST checkpoint: missing key {key}")
    dim = int(state["cls_token"].shape[-1])
    depth = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    if dim % 64 or depth == 0:
        raise CheckpointError(f"{path}: unexpected PaSST width {dim} / depth {depth}")
    return {"dim": dim, "depth": depth, "heads": dim // 64, "num_classes": int(state["head.1.weight"].shape[0]),
            "time_patches": int(state["time_new_pos_embed"].shape[-1])}  # fmt: skip
