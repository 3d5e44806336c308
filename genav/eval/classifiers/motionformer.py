"""MotionFormer's divided space-time ViT as Synchformer uses it: its video feature extractor.

Written for genav from the published definitions (TimeSformer's divided attention, Bertasius et al.
2021; MotionFormer's ViT-B/16 with 2x16x16 tubelets, Patrick et al. 2021; the spatial aggregation
layer of Synchformer, Iashin et al. 2024). Parameter names follow the official Synchformer
checkpoint (``vfeat_extractor.*``) so that its state dict loads strictly.

Shapes: a segment is ``(B, 3, 16, H, W)`` RGB scaled to [-1, 1]; tubelets of 2 frames give 8 time
steps of (H/16) x (W/16) patches; the output is one vector per time step, ``(B, 8, D)``.
"""

from __future__ import annotations

import torch
from torch import nn

from genav.attention import attention


class SequenceSummary(nn.TransformerEncoderLayer):
    """A pre-norm encoder layer over a learned CLS token plus the sequence; returns the CLS output.

    ``(N, L, D)`` -> ``(N, D)``. Subclasses torch's layer so the parameter names are the official
    ones (``self_attn``, ``linear1``, ``norm1``..., and ``cls_token``).
    """

    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__(
            d_model=dim, nhead=heads, dim_feedforward=hidden, dropout=0.0, activation=nn.GELU(),
            layer_norm_eps=1e-6, batch_first=True, norm_first=True,
        )  # fmt: skip
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))

    def summarise(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        return super().forward(x)[:, 0]


class DividedAttention(nn.Module):
    """Attention within groups of tokens (one frame, or one patch position over time) plus the CLS.

    The CLS query attends to every token; each other query attends to the CLS and to its group.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
        """x ``(B, 1 + N, D)``; ``groups`` ``(G, M)``: token indices (0-based, CLS excluded) per group."""
        b, n, d = x.shape
        q, k, v = (t.reshape(b, n, self.heads, -1) for t in self.qkv(x).chunk(3, dim=-1))  # (B, N, h, dh)
        cls_out = attention(q[:, :1], k, v)  # the CLS query sees every token
        g, m = groups.shape

        def grouped(t: torch.Tensor, with_cls: bool) -> torch.Tensor:  # -> (B * G, [1 +] M, h, dh)
            parts = t[:, 1:][:, groups]  # (B, G, M, h, dh)
            if with_cls:
                parts = torch.cat((t[:, None, :1].expand(-1, g, -1, -1, -1), parts), dim=2)
            return parts.reshape(b * g, parts.shape[2], *t.shape[2:])

        out = attention(grouped(q, False), grouped(k, True), grouped(v, True))
        rest = torch.empty_like(q[:, 1:])
        rest[:, groups] = out.reshape(b, g, m, *out.shape[2:])
        return self.proj(torch.cat((cls_out, rest), dim=1).reshape(b, n, d))


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class DividedSpaceTimeBlock(nn.Module):
    """Time attention (``norm3``, ``timeattn``), then space attention (``norm1``, ``attn``), then MLP."""

    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = DividedAttention(dim, heads)
        self.timeattn = DividedAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, hidden)
        self.norm3 = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor, frames: int, patches: int) -> torch.Tensor:
        index = torch.arange(frames * patches, device=x.device).reshape(frames, patches)
        x = x + self.timeattn(self.norm3(x), index.T)  # a group: one patch position over time
        x = x + self.attn(self.norm1(x), index)  # a group: the patches of one time step
        return x + self.mlp(self.norm2(x))


class MotionFormer(nn.Module):
    """Segments ``(B, 3, 2 * time_steps, H, W)`` in [-1, 1] -> features ``(B, time_steps, dim)``.

    ``image_size`` must be a multiple of 16; the official model: 224, 768 wide, 12 blocks of 12
    heads, 8 time steps (16 frames at 25 fps).
    """

    def __init__(self, dim: int = 768, depth: int = 12, heads: int = 12, hidden: int = 3072,
                 image_size: int = 224, time_steps: int = 8) -> None:  # fmt: skip
        super().__init__()
        self.image_size, self.time_steps = image_size, time_steps
        self.grid = image_size // 16
        # the 2-D patch embedding is unused (tubelets are embedded in 3-D) but is part of the checkpoint
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, dim, kernel_size=16, stride=16)
        self.patch_embed_3d = nn.Module()
        self.patch_embed_3d.proj = nn.Conv3d(3, dim, kernel_size=(2, 16, 16), stride=(2, 16, 16))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid**2 + 1, dim))
        self.temp_embed = nn.Parameter(torch.zeros(1, time_steps, dim))
        self.blocks = nn.ModuleList(DividedSpaceTimeBlock(dim, heads, hidden) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.spatial_attn_agg = SequenceSummary(dim, heads, hidden)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        b, _, frames, height, width = video.shape
        if (frames, height, width) != (2 * self.time_steps, self.image_size, self.image_size):
            raise ValueError(
                f"MotionFormer takes segments of {2 * self.time_steps} frames of "
                f"{self.image_size}x{self.image_size}, got {frames} of {width}x{height}"
            )
        x = self.patch_embed_3d.proj(video).flatten(2).transpose(1, 2)  # (B, t * h * w, D), time-major
        patches = self.grid**2
        position = self.pos_embed[:, 1:].repeat(1, self.time_steps, 1)
        position = position + self.temp_embed.repeat_interleave(patches, dim=1)
        x = torch.cat((self.cls_token.expand(b, -1, -1) + self.pos_embed[:, :1], x + position), dim=1)
        for block in self.blocks:
            x = block(x, self.time_steps, patches)
        x = self.norm(x[:, 1:])  # (B, t * h * w, D)
        per_step = x.reshape(b * self.time_steps, patches, -1)
        return self.spatial_attn_agg.summarise(per_step).reshape(b, self.time_steps, -1)
