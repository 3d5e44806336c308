"""Synchformer: the audio-visual offset classifier behind av-benchmark's DeSync.

Written for genav from the published definitions (Iashin et al. 2024, "Synchformer: Efficient
Synchronization from Sparse Cues"; the AST audio branch, Gong et al. 2021; the offset transformer
of SparseSync, Iashin et al. 2022), with the parameter names of the official checkpoint
(``synchformer_state_dict.pth`` as av-benchmark and MMAudio load it) so it loads strictly:
``vfeat_extractor.*`` (:class:`~genav.eval.classifiers.motionformer.MotionFormer`),
``afeat_extractor.*`` (AST + frequency aggregation), ``vproj``/``aproj`` and ``transformer.*``.

Inputs per segment (0.64 s; segments every 0.32 s): 16 video frames at 25 fps, 224x224, in [-1, 1];
10,240 audio samples at 16 kHz as a 128-bin log-mel of 66 frames (see :func:`sync_log_mel`).
14 segments of each (4.8 s) -> logits over 21 offsets from -2 to +2 s in 0.2 s steps.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from genav.attention import attention
from genav.errors import CheckpointError
from genav.eval.classifiers.motionformer import MotionFormer, SequenceSummary

__all__ = ["OFFSET_GRID", "Synchformer", "load_synchformer", "sync_log_mel"]

SAMPLE_RATE = 16000
FPS = 25.0
SEGMENT_FRAMES, STEP_FRAMES = 16, 8
SEGMENT_SAMPLES, STEP_SAMPLES = 10240, 5120
WINDOW_SEGMENTS = 14  # 4.8 s: what the offset transformer sees at once
MEL_FRAMES, MEL_BINS = 66, 128
AST_MEAN, AST_STD = -4.2677393, 4.5689974  # AST's AudioSet log-mel statistics
# the 21 offset classes in seconds, as Synchformer trained them: +x = the audio runs x s ahead (early)
OFFSET_GRID = tuple(round(-2.0 + 0.2 * i, 1) for i in range(21))


def _htk_mel_filters(n_fft: int, n_mels: int, sample_rate: int) -> torch.Tensor:
    """(n_fft // 2 + 1, n_mels) triangles on the HTK mel scale from 0 Hz to Nyquist, unnormalised
    (the filters of ``torchaudio.transforms.MelSpectrogram``'s defaults, which Synchformer uses)."""
    hz = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    top = 2595.0 * math.log10(1.0 + (sample_rate / 2) / 700.0)
    edges = 700.0 * (10 ** (torch.linspace(0, top, n_mels + 2, dtype=torch.float64) / 2595.0) - 1.0)
    width = edges[1:] - edges[:-1]
    slopes = edges[None, :] - hz[:, None]
    rising, falling = -slopes[:, :-2] / width[:-1], slopes[:, 2:] / width[1:]
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def sync_log_mel(segments: torch.Tensor) -> torch.Tensor:
    """Audio segments ``(..., 10240)`` at 16 kHz -> normalised log-mels ``(..., 128, 66)``.

    Power spectrogram (n_fft 1024, Hann window of 400, hop 160, centred with reflection), HTK mel
    filters, ``log(x + 1e-6)``, zero-padded to 66 frames, then ``(x - mean) / (2 std)`` with AST's
    AudioSet statistics: av-benchmark's ``encode_audio_with_sync``.
    """
    shape = segments.shape
    flat = segments.reshape(-1, shape[-1]).double()
    window = torch.hann_window(400, periodic=True, dtype=torch.float64)
    spec = torch.stft(flat, n_fft=1024, hop_length=160, win_length=400, window=window, center=True,
                      pad_mode="reflect", return_complex=True).abs() ** 2  # fmt: skip
    mel = torch.einsum("bft,fm->bmt", spec, _htk_mel_filters(1024, MEL_BINS, SAMPLE_RATE))
    logmel = torch.log(mel + 1e-6)
    logmel = nn.functional.pad(logmel, (0, max(0, MEL_FRAMES - logmel.shape[-1])))[..., :MEL_FRAMES]
    return ((logmel - AST_MEAN) / (2 * AST_STD)).float().reshape(*shape[:-1], MEL_BINS, MEL_FRAMES)


class _AstLayer(nn.Module):
    """A pre-norm ViT layer with the names of the AST checkpoint (HF transformers 4.x layout)."""

    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.heads = heads
        self.layernorm_before = nn.LayerNorm(dim, eps=1e-12)
        self.attention = nn.Module()
        self.attention.attention = nn.Module()
        for name in ("query", "key", "value"):
            setattr(self.attention.attention, name, nn.Linear(dim, dim))
        self.attention.output = nn.Module()
        self.attention.output.dense = nn.Linear(dim, dim)
        self.layernorm_after = nn.LayerNorm(dim, eps=1e-12)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(dim, hidden)
        self.output = nn.Module()
        self.output.dense = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        y = self.layernorm_before(x)
        a = self.attention.attention
        q, k, v = (lin(y).reshape(b, n, self.heads, -1) for lin in (a.query, a.key, a.value))
        att = attention(q, k, v).reshape(b, n, d)
        x = x + self.attention.output.dense(att)
        return x + self.output.dense(nn.functional.gelu(self.intermediate.dense(self.layernorm_after(x))))


class AstFeatures(nn.Module):
    """Log-mels ``(B, 128, 66)`` -> features ``(B, 6, dim)``: AST (16x16 patches, strides 10),
    then, for each of the 6 time columns, a summary over its 12 frequency patches."""

    def __init__(self, dim: int = 768, depth: int = 12, heads: int = 12, hidden: int = 3072) -> None:
        super().__init__()
        self.freq_patches = (MEL_BINS - 16) // 10 + 1
        self.time_patches = (MEL_FRAMES - 16) // 10 + 1
        self.ast = nn.Module()
        emb = self.ast.embeddings = nn.Module()
        emb.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        emb.distillation_token = nn.Parameter(torch.zeros(1, 1, dim))
        emb.position_embeddings = nn.Parameter(torch.zeros(1, self.freq_patches * self.time_patches + 2, dim))
        emb.patch_embeddings = nn.Module()
        emb.patch_embeddings.projection = nn.Conv2d(1, dim, kernel_size=16, stride=10)
        self.ast.encoder = nn.Module()
        self.ast.encoder.layer = nn.ModuleList(_AstLayer(dim, heads, hidden) for _ in range(depth))
        self.ast.layernorm = nn.LayerNorm(dim, eps=1e-12)
        self.freq_attn_agg = SequenceSummary(dim, heads, hidden)

    def encode(self, logmel: torch.Tensor) -> torch.Tensor:
        """AST alone: ``(B, 128, 66)`` -> ``(B, 2 + 12 * 6, dim)`` (CLS, distillation, then patches
        frequency-major), after the final layer norm."""
        b = logmel.shape[0]
        emb = self.ast.embeddings
        x = emb.patch_embeddings.projection(logmel[:, None]).flatten(2).transpose(1, 2)  # (B, f * t, D)
        extra = torch.cat((emb.cls_token, emb.distillation_token), dim=1).expand(b, -1, -1)
        x = torch.cat((extra, x), dim=1) + emb.position_embeddings
        for layer in self.ast.encoder.layer:
            x = layer(x)
        return self.ast.layernorm(x)

    def forward(self, logmel: torch.Tensor) -> torch.Tensor:
        b = logmel.shape[0]
        x = self.encode(logmel)[:, 2:]
        f, t = self.freq_patches, self.time_patches
        columns = x.reshape(b, f, t, -1).transpose(1, 2).reshape(b * t, f, -1)
        return self.freq_attn_agg.summarise(columns).reshape(b, t, -1)


class _SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.key, self.query, self.value, self.proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = (lin(x).reshape(b, n, self.heads, -1) for lin in (self.query, self.key, self.value))
        return self.proj(attention(q, k, v).reshape(b, n, d))


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = _SelfAttention(dim, heads)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class OffsetTransformer(nn.Module):
    """``[OFF] video tokens [MOD] audio tokens`` + learned positions -> 3 blocks -> offset logits."""

    def __init__(
        self, dim: int = 768, depth: int = 3, heads: int = 8, tokens: int = 198, classes: int = 21
    ) -> None:
        super().__init__()
        self.vis_in_lnorm, self.aud_in_lnorm = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.OFF_tok = nn.Parameter(torch.zeros(1, 1, dim))
        self.MOD_tok = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_emb_cfg = nn.Module()  # the official name of the positional embedding's holder
        self.pos_emb_cfg.pos_emb = nn.Parameter(torch.zeros(1, tokens, dim))
        self.blocks = nn.Sequential(*(_Block(dim, heads) for _ in range(depth)))
        self.ln_f = nn.LayerNorm(dim)
        self.off_head = nn.Linear(dim, classes)

    def forward(self, video: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        b = video.shape[0]
        x = torch.cat((self.OFF_tok.expand(b, -1, -1), self.vis_in_lnorm(video),
                       self.MOD_tok.expand(b, -1, -1), self.aud_in_lnorm(audio)), dim=1)  # fmt: skip
        if x.shape[1] != self.pos_emb_cfg.pos_emb.shape[1]:
            raise ValueError(
                f"offset transformer takes {self.pos_emb_cfg.pos_emb.shape[1]} tokens, got {x.shape[1]}"
            )
        x = self.ln_f(self.blocks(x + self.pos_emb_cfg.pos_emb))
        return self.off_head(x[:, 0])


class Synchformer(nn.Module):
    """Video and audio segment features, and the offset logits of a 14-segment window."""

    def __init__(self, *, dim: int = 768, depth: int = 12, hidden: int = 3072, ast_depth: int = 12,
                 ast_hidden: int = 3072, sync_depth: int = 3, image_size: int = 224) -> None:  # fmt: skip
        super().__init__()
        self.vfeat_extractor = MotionFormer(dim, depth, 12, hidden, image_size)
        self.afeat_extractor = AstFeatures(dim, ast_depth, 12, ast_hidden)
        self.vproj, self.aproj = nn.Linear(dim, dim), nn.Linear(dim, dim)
        tokens = 2 + WINDOW_SEGMENTS * (self.vfeat_extractor.time_steps + self.afeat_extractor.time_patches)
        self.transformer = OffsetTransformer(dim, sync_depth, 8, tokens, len(OFFSET_GRID))

    @property
    def image_size(self) -> int:
        return self.vfeat_extractor.image_size

    def video_features(self, segments: torch.Tensor) -> torch.Tensor:
        """``(S, 16, 3, H, W)`` frames in [-1, 1] -> ``(S, 8, dim)``."""
        return self.vfeat_extractor(segments.permute(0, 2, 1, 3, 4))

    def audio_features(self, logmels: torch.Tensor) -> torch.Tensor:
        """``(S, 128, 66)`` from :func:`sync_log_mel` -> ``(S, 6, dim)``."""
        return self.afeat_extractor(logmels)

    def offset_logits(self, video: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """Features of 14 segments, ``(B, 14, 8, dim)`` and ``(B, 14, 6, dim)`` -> ``(B, 21)`` logits."""
        return self.transformer(self.vproj(video).flatten(1, 2), self.aproj(audio).flatten(1, 2))


def _count(state: dict[str, torch.Tensor], prefix: str) -> int:
    return len({k[len(prefix) :].split(".")[0] for k in state if k.startswith(prefix)})


def _shape_from_state(state: dict[str, torch.Tensor], path: Path) -> dict[str, int]:
    """Widths and depths of a checkpoint in the official layout (released: 768 wide, 12 + 12 + 3
    blocks, 224 px); heads are the released 12 / 12 / 8, then every tensor is checked strictly."""
    for key in ("vfeat_extractor.pos_embed", "afeat_extractor.ast.embeddings.cls_token",
                "transformer.off_head.weight", "vfeat_extractor.blocks.0.mlp.fc1.weight",
                "afeat_extractor.ast.encoder.layer.0.intermediate.dense.weight"):  # fmt: skip
        if key not in state:
            raise CheckpointError(f"{path}: not a Synchformer checkpoint: missing key {key}")
    dim = int(state["vfeat_extractor.pos_embed"].shape[-1])
    grid = math.isqrt(int(state["vfeat_extractor.pos_embed"].shape[1]) - 1)
    if dim % 24:
        raise CheckpointError(f"{path}: Synchformer width {dim} is not divisible by its 12 and 8 heads")
    return {
        "dim": dim,
        "depth": _count(state, "vfeat_extractor.blocks."),
        "hidden": int(state["vfeat_extractor.blocks.0.mlp.fc1.weight"].shape[0]),
        "ast_depth": _count(state, "afeat_extractor.ast.encoder.layer."),
        "ast_hidden": int(state["afeat_extractor.ast.encoder.layer.0.intermediate.dense.weight"].shape[0]),
        "sync_depth": _count(state, "transformer.blocks."),
        "image_size": 16 * grid,
    }


def load_synchformer(path: str | Path, *, device: str = "cpu") -> Synchformer:
    """Load Synchformer's released state dict (av-benchmark's ``synchformer_state_dict.pth``) strictly.

    Args:
        path: a plain state dict of tensors in the official layout; widths, depths and image size
            are read from its tensors (the released model: 768 wide, 224 px).
        device: where the model runs ("cpu", "cuda"...); 237M parameters make CPU runs slow.

    Returns:
        A frozen :class:`Synchformer` in eval mode.

    Raises:
        CheckpointError: a missing or unreadable file, a file with more than tensors in it (the
            training checkpoint ``*.pt`` with its config: extract its ``model`` state dict), not
            this layout, or missing / unexpected / mismatched tensors (named).

    Source: Iashin et al. 2024 (Synchformer); DeSync as av-benchmark computes it (Cheng et al. 2025).
    """
    from genav.eval.classifiers.state_dicts import load_released_model

    def build(state: dict[str, torch.Tensor], p: Path) -> Synchformer:
        return Synchformer(**_shape_from_state(state, p))

    return load_released_model(Path(path), "Synchformer", build).to(device)
