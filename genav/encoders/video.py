"""Video conditioning: semantic frame features at a low rate, motion/sync features at a high rate.

Input: ``frames (B, T, H, W, 3)`` uint8 at ``config.fps`` and an optional ``mask (B, T)`` (True =
real frame). Output :class:`VideoFeatures`:

- ``semantic (B, T_sem, semantic_dim)`` at ``semantic_fps`` (default 8): one frame from the middle
  of each 1/semantic_fps window, through a small trainable conv encoder on ``frame_size``-pixel
  frames, or through a frozen CLIP/SigLIP vision tower from a local folder plus a trainable
  linear map (``backbone="clip"``);
- ``sync (B, T_sync, sync_dim)`` at ``sync_fps`` (default 25): *non-learned* motion features
  (:func:`motion_features`: mean absolute difference between consecutive grey frames on a coarse
  ``grid x grid`` of cells plus the whole frame, log-compressed) through a small trainable
  temporal convolution. Motion bursts are directly visible in these features, so a model can
  learn audio-visual sync from little data. ``motion`` holds the raw features.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import torch
import torch.nn.functional as F

from genav.config import Config
from genav.encoders.camera_motion import camera_free_differences
from genav.errors import ConfigError, InputError

BACKBONES = ("conv", "clip")
# bump when what motion_features computes changes for a given config: cached training inputs
# (genav.train.foley_data) are keyed on it, so old caches are not reused for the new features
MOTION_FEATURES_VERSION = 2
_CHUNK = 64  # frames downscaled at once: bounds memory for long clips at full resolution


@dataclasses.dataclass(frozen=True)
class VideoEncoderConfig(Config):
    model_type: ClassVar[str] = "video-encoder"

    fps: float = 25.0
    semantic_fps: float = 8.0
    sync_fps: float = 25.0
    frame_size: int = 64
    semantic_channels: tuple[int, ...] = (32, 64, 128, 128)
    semantic_dim: int = 128
    sync_dim: int = 64
    sync_kernel: int = 5
    motion_size: int = 32
    motion_grid: int = 4
    motion_gain: float = 50.0  # log1p(gain * d) / log1p(gain); 0 keeps differences linear
    # a new frame's change is shared with up to this many frames before it that repeat their
    # predecessor exactly (a lower-rate video read at ``fps``); 1 = no sharing. Off by default:
    # rendered video also repeats frames where the scene pauses, and sharing then moves motion
    # before a real onset (genav-foley-tiny: onset F1 0.73 -> 0.59 at 10 fps with 4)
    repeat_spread: int = 1
    # align each frame's predecessor to it (global shift + brightness) and drop scene cuts before
    # differencing, so pans, shakes, flicker and cuts give no motion (genav.encoders.camera_motion)
    camera_compensation: bool = False
    backbone: str = "conv"
    backbone_path: str | None = None

    def __post_init__(self) -> None:
        if min(self.fps, self.semantic_fps, self.sync_fps) <= 0:
            raise ConfigError("VideoEncoderConfig: fps, semantic_fps and sync_fps must be positive")
        if self.backbone not in BACKBONES:
            raise ConfigError(f"VideoEncoderConfig.backbone must be one of {BACKBONES}")
        if self.backbone == "clip" and not self.backbone_path:
            raise ConfigError("VideoEncoderConfig: backbone 'clip' needs backbone_path (a local folder)")
        if self.motion_grid < 1 or self.motion_size < self.motion_grid or self.sync_kernel % 2 == 0:
            raise ConfigError("VideoEncoderConfig: need motion_size >= motion_grid >= 1 and an odd sync_kernel")
        if self.repeat_spread < 1:
            raise ConfigError(f"VideoEncoderConfig.repeat_spread must be >= 1, got {self.repeat_spread}")
        if not self.semantic_channels or self.frame_size < 2 ** len(self.semantic_channels):
            raise ConfigError("VideoEncoderConfig: frame_size too small for the semantic conv stack")

    @property
    def motion_dim(self) -> int:
        return self.motion_grid**2 + 1


@dataclasses.dataclass
class VideoFeatures:
    """Encoded video. Masks are bool (True = valid); ``motion`` = raw sync-rate motion features."""

    semantic: torch.Tensor  # (B, T_sem, D_sem)
    semantic_mask: torch.Tensor  # (B, T_sem)
    semantic_fps: float
    sync: torch.Tensor  # (B, T_sync, D_sync)
    sync_mask: torch.Tensor  # (B, T_sync)
    sync_fps: float
    motion: torch.Tensor  # (B, T_sync, grid * grid + 1)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> VideoFeatures:
        return dataclasses.replace(
            self,
            semantic=self.semantic.to(device=device, dtype=dtype),
            semantic_mask=self.semantic_mask.to(device=device),
            sync=self.sync.to(device=device, dtype=dtype),
            sync_mask=self.sync_mask.to(device=device),
            motion=self.motion.to(device=device, dtype=dtype),
        )


@dataclasses.dataclass
class VideoInputs:
    """The frozen per-frame inputs of :class:`VideoEncoder` (see ``prepare_inputs``).

    ``semantic``: ``(B, T, S, S, 3)`` uint8 frames at ``frame_size`` (conv backbone) or ``(B, T, E)``
    backbone embeddings; ``motion``: ``(B, T, grid * grid + 1)`` raw motion features (unmasked).
    """

    semantic: torch.Tensor
    motion: torch.Tensor


def num_frames_at(n_frames: int, fps: float, out_fps: float) -> int:
    """Frames at ``out_fps`` that cover ``n_frames`` frames at ``fps`` (at least 1)."""
    return max(1, math.ceil(n_frames * out_fps / fps - 1e-6))


def window_centre_indices(n_frames: int, fps: float, out_fps: float) -> torch.Tensor:
    """For each ``out_fps`` window, the input frame at its centre: ``(T_out,)`` long."""
    k = torch.arange(num_frames_at(n_frames, fps, out_fps), dtype=torch.float64)
    idx = torch.floor((k + 0.5) * fps / out_fps).long()
    return idx.clamp_(max=n_frames - 1)


def _grey_small(frames: torch.Tensor, size: int) -> torch.Tensor:
    """``(B, T, H, W, 3)`` uint8 -> grey ``(B, T, size, size)`` in [0, 1] by area averaging."""
    b, t = frames.shape[:2]
    out = []
    for start in range(0, t, _CHUNK):
        chunk = frames[:, start : start + _CHUNK].float().mean(-1) / 255.0
        n = chunk.shape[1]
        small = F.interpolate(chunk.reshape(b * n, 1, *chunk.shape[-2:]), size=(size, size), mode="area")
        out.append(small.reshape(b, n, size, size))
    return torch.cat(out, dim=1)


def motion_features(
    frames: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    size: int = 32,
    grid: int = 4,
    gain: float = 50.0,
    repeat_spread: int = 1,
    camera_compensation: bool = False,
) -> torch.Tensor:
    """Per-frame motion energy ``(B, T, grid * grid + 1)`` of ``frames (B, T, H, W, 3)`` uint8.

    Frame t's features are the mean absolute grey-level change from frame t-1, averaged over each
    cell of a ``grid x grid`` partition (cells row-major) and over the whole frame (last), after
    downscaling to ``size x size``; then ``log1p(gain * d) / log1p(gain)`` (values in [0, 1]).
    Frame 0 and frames next to masked-out frames get 0.

    ``repeat_spread`` > 1: a 15 fps video read at 25 fps repeats every other frame or so, which
    would give a change of 0 on each repeat and a pulse train where the motion is smooth (at 24
    fps read at 25: a false stop each second). So a new frame's change is divided evenly over it
    and the exact repeats just before it, at most ``repeat_spread`` frames in all; the motion per
    second then matches the same motion filmed at the higher rate.

    ``camera_compensation``: the change is taken from the predecessor aligned to each frame by a
    global shift and brightness change, with scene cuts set to 0
    (:func:`genav.encoders.camera_motion.camera_free_differences`), so camera pans and shakes,
    lighting flicker and cuts make (almost) no motion while objects moving in the picture do.
    """
    if camera_compensation:
        side = min(2 * size, *frames.shape[2:4])  # finer pictures for sub-pixel alignment
        diff = camera_free_differences(_grey_small(frames, max(side, size)), size, grid)
    else:
        grey = _grey_small(frames, size)
        diff = (grey[:, 1:] - grey[:, :-1]).abs()
        diff = torch.cat([torch.zeros_like(grey[:, :1]), diff], dim=1)
    if repeat_spread > 1 and diff.shape[1] > 2:
        diff = _spread_over_repeats(diff, repeat_spread)
    b, t = diff.shape[:2]
    cells = F.adaptive_avg_pool2d(diff.reshape(b * t, 1, size, size), grid).reshape(b, t, grid * grid)
    feats = torch.cat([cells, diff.mean(dim=(-1, -2))[..., None]], dim=-1)
    if gain > 0:
        feats = torch.log1p(gain * feats) / math.log1p(gain)
    if mask is not None:
        valid = mask.clone()
        valid[:, 1:] &= mask[:, :-1]
        feats = feats * valid[..., None]
    return feats


def _spread_over_repeats(diff: torch.Tensor, limit: int) -> torch.Tensor:
    """``diff (B, T, H, W)`` frame changes (frame 0: zeros) -> each new frame's change shared with
    the exact repeats before it, where those look like frame-rate conversion: at most ``limit``
    frames in all and the new frame before them moved too (a longer or motionless pause is real)."""
    t = diff.shape[1]
    change = diff.flatten(2).amax(-1)  # (B, T)
    repeat = change == 0  # an exact copy of the frame before
    repeat[:, 0] = False
    pos = torch.arange(t, device=diff.device).expand_as(repeat)
    # the next new frame at or after each frame (T: none), the last new frame at or before it
    nxt = torch.where(repeat, t, pos).flip(1).cummin(1).values.flip(1)
    last_new = torch.where(repeat, -1, pos).cummax(1).values
    nxt_c = nxt.clamp(max=t - 1)
    before = torch.gather(last_new, 1, (nxt_c - 1).clamp(min=0))  # the new frame before nxt
    run = nxt_c - before
    moving = torch.gather(change, 1, before) > 0
    share = torch.where((run <= limit) & moving, run, torch.ones_like(run)).clamp(min=1)
    inside = (nxt < t) & (nxt_c - pos < share)
    scale = torch.where(inside, 1.0 / share.to(diff.dtype), torch.zeros((), dtype=diff.dtype))
    source = torch.gather(diff, 1, nxt_c[..., None, None].expand_as(diff))
    return source * scale[..., None, None]


class FrameEncoder(torch.nn.Module):
    """Small conv net: ``(N, 3, S, S)`` in [-1, 1] -> ``(N, dim)``."""

    def __init__(self, channels: tuple[int, ...], dim: int) -> None:
        super().__init__()
        layers: list[torch.nn.Module] = []
        c_in = 3
        for c in channels:
            layers += [torch.nn.Conv2d(c_in, c, 3, stride=2, padding=1), torch.nn.GroupNorm(min(8, c), c),
                       torch.nn.SiLU()]
            c_in = c
        layers.append(torch.nn.AdaptiveAvgPool2d(4))  # keep a coarse layout, not just a global average
        self.net = torch.nn.Sequential(*layers)
        self.head = torch.nn.Linear(c_in * 16, dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(images).flatten(1))


class VideoEncoder(torch.nn.Module):
    """Trainable video encoder (see the module docstring). Attributes mirror the config:
    ``fps``, ``semantic_fps``, ``sync_fps``, ``semantic_dim``, ``sync_dim``."""

    def __init__(self, config: VideoEncoderConfig | None = None) -> None:
        super().__init__()
        self.config = c = config or VideoEncoderConfig()
        self.fps, self.semantic_fps, self.sync_fps = c.fps, c.semantic_fps, c.sync_fps
        self.semantic_dim, self.sync_dim = c.semantic_dim, c.sync_dim
        self.backbone = None
        if c.backbone == "clip":
            from genav.encoders.vision import CLIPVisionEncoder

            self.backbone = CLIPVisionEncoder(c.backbone_path)
            self.frame_encoder = torch.nn.Linear(self.backbone.dim, c.semantic_dim)
        else:
            self.frame_encoder = FrameEncoder(c.semantic_channels, c.semantic_dim)
        self.sync_proj = torch.nn.Sequential(
            torch.nn.Conv1d(c.motion_dim, c.sync_dim, c.sync_kernel, padding=c.sync_kernel // 2),
            torch.nn.SiLU(),
            torch.nn.Conv1d(c.sync_dim, c.sync_dim, 1),
        )

    @property
    def input_size(self) -> tuple[int, int]:
        """(width, height) in pixels to decode frames at: what the encoder looks at, no larger (a
        vision backbone's own processor resize target, e.g. 224 for CLIP, 384 for SigLIP-384)."""
        if self.backbone is not None:
            side = self.backbone.preprocess.decode_size
        else:
            side = max(self.config.frame_size, self.config.motion_size)
        return (side, side)

    def __setattr__(self, name, value):
        if name == "backbone":  # frozen, folder-loaded: kept out of state_dict (see hf_text)
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def _apply(self, fn, recurse: bool = True):
        if self.backbone is not None:
            self.backbone._apply(fn)
        return super()._apply(fn, recurse)

    def forward(self, frames: torch.Tensor, mask: torch.Tensor | None = None) -> VideoFeatures:
        """``frames (B, T, H, W, 3)`` uint8 at ``fps``, ``mask (B, T)`` bool -> :class:`VideoFeatures`."""
        frames, mask = self._check(frames, mask)
        c = self.config
        idx = window_centre_indices(frames.shape[1], c.fps, c.semantic_fps).to(frames.device)
        centre = frames[:, idx]  # only the frames the semantic path uses
        semantic_input = self._backbone_embeddings(centre) if self.backbone is not None else centre
        motion = motion_features(
            frames, None, size=c.motion_size, grid=c.motion_grid, gain=c.motion_gain,
            repeat_spread=c.repeat_spread, camera_compensation=c.camera_compensation,
        )
        return self._features(semantic_input, idx, motion, mask)

    @torch.no_grad()
    def prepare_inputs(self, frames: torch.Tensor) -> VideoInputs:
        """The frozen, per-frame part of :meth:`forward`, computed once per clip for training.

        ``frames (B, T, H, W, 3)`` uint8 at ``fps`` -> :class:`VideoInputs` for every frame: the
        semantic encoder's input (frames resized to ``frame_size``, uint8; or the frozen CLIP/SigLIP
        embeddings) and the raw motion features. ``encode_inputs(prepare_inputs(f)[:, a:b], m)``
        equals ``forward(f[:, a:b], m)`` for any window ``a:b``.
        """
        frames, _ = self._check(frames, None)
        c = self.config
        motion = motion_features(
            frames, None, size=c.motion_size, grid=c.motion_grid, gain=c.motion_gain,
            repeat_spread=c.repeat_spread, camera_compensation=c.camera_compensation,
        )
        return VideoInputs(self.semantic_inputs(frames), motion)

    def encode_inputs(self, inputs: VideoInputs, mask: torch.Tensor | None = None) -> VideoFeatures:
        """The trainable part of :meth:`forward` on precomputed :class:`VideoInputs` (a window of
        a clip's ``prepare_inputs``); ``mask (B, T)`` bool marks real frames."""
        semantic, motion = inputs.semantic, inputs.motion
        b, t = motion.shape[:2]
        dev = self.sync_proj[0].weight.device
        mask = torch.ones(b, t, dtype=torch.bool, device=dev) if mask is None else mask.to(dev, torch.bool)
        idx = window_centre_indices(t, self.config.fps, self.config.semantic_fps).to(dev)
        return self._features(semantic[:, idx].to(dev), idx, motion.to(dev), mask)

    def _features(
        self, semantic_input: torch.Tensor, idx: torch.Tensor, motion: torch.Tensor, mask: torch.Tensor
    ) -> VideoFeatures:
        """Semantic inputs of the centre frames ``idx``, per-frame raw motion ``(B, T, M)`` and the frame
        mask ``(B, T)`` -> features. Frame 0 and frames after a masked frame have no motion."""
        c = self.config
        semantic_mask = mask[:, idx]
        semantic = self._semantic(semantic_input) * semantic_mask[..., None]
        valid = mask.clone()
        valid[:, 0] = False
        valid[:, 1:] &= mask[:, :-1]
        motion = motion * valid[..., None].to(motion.dtype)
        t_sync = self.sync_frames(motion.shape[1])
        sync_mask = mask
        if t_sync != motion.shape[1]:  # max over each window keeps short bursts
            motion = F.adaptive_max_pool1d(motion.transpose(1, 2), t_sync).transpose(1, 2)
            sync_mask = F.adaptive_max_pool1d(mask[:, None].float(), t_sync)[:, 0] > 0
        dtype = self.sync_proj[0].weight.dtype
        sync = self.sync_proj(motion.to(dtype).transpose(1, 2)).transpose(1, 2)
        sync = sync * sync_mask[..., None]
        return VideoFeatures(semantic, semantic_mask, c.semantic_fps, sync, sync_mask, c.sync_fps, motion)

    def encode(self, frames: torch.Tensor, mask: torch.Tensor | None = None) -> VideoFeatures:
        return self(frames, mask)

    def semantic_frames(self, n_frames: int) -> int:
        """``T_sem`` for a clip of ``n_frames`` input frames."""
        return num_frames_at(n_frames, self.config.fps, self.config.semantic_fps)

    def sync_frames(self, n_frames: int) -> int:
        """``T_sync`` for a clip of ``n_frames`` input frames."""
        return num_frames_at(n_frames, self.config.fps, self.config.sync_fps)

    @torch.no_grad()
    def semantic_inputs(self, frames: torch.Tensor) -> torch.Tensor:
        """Frozen semantic input of ``frames (B, T, H, W, 3)`` uint8, to store for training:
        ``(B, T, S, S, 3)`` uint8 frames at ``frame_size`` (conv backbone; resized and rounded
        only if they are not that size already), or ``(B, T, E)`` float32 backbone embeddings."""
        if self.backbone is not None:
            return self._backbone_embeddings(frames)
        size = self.config.frame_size
        if tuple(frames.shape[2:4]) == (size, size):
            return frames
        b, t = frames.shape[:2]
        flat = frames.reshape(b * t, *frames.shape[2:])
        out = []
        for start in range(0, b * t, _CHUNK):
            x = flat[start : start + _CHUNK].permute(0, 3, 1, 2).float()
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            out.append(x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1))
        return torch.cat(out).reshape(b, t, size, size, 3)

    @torch.no_grad()
    def _backbone_embeddings(self, frames: torch.Tensor) -> torch.Tensor:
        b, t = frames.shape[:2]
        return self.backbone.encode_images(frames.reshape(b * t, *frames.shape[2:])).reshape(b, t, -1)

    def _semantic(self, inputs: torch.Tensor) -> torch.Tensor:
        """Trainable part: ``(B, T, H, W, 3)`` uint8 frames (any size; resized to ``frame_size``) or
        ``(B, T, E)`` backbone embeddings -> ``(B, T, semantic_dim)``."""
        b, t = inputs.shape[:2]
        flat = inputs.reshape(b * t, *inputs.shape[2:])
        if self.backbone is not None:
            return self.frame_encoder(flat.to(self.frame_encoder.weight.dtype)).reshape(b, t, -1)
        size = self.config.frame_size
        out = []
        dtype = self.frame_encoder.head.weight.dtype
        for start in range(0, b * t, _CHUNK):
            x = flat[start : start + _CHUNK].permute(0, 3, 1, 2).float() / 127.5 - 1.0
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            out.append(self.frame_encoder(x.to(dtype)))
        return torch.cat(out).reshape(b, t, -1)

    def _check(self, frames: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(frames, torch.Tensor) or frames.dim() != 5 or frames.shape[-1] != 3:
            shape = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
            raise InputError(f"VideoEncoder expects frames of shape (B, T, H, W, 3), got {shape}")
        if frames.dtype != torch.uint8:
            raise InputError(f"VideoEncoder expects uint8 frames, got {frames.dtype}")
        if frames.shape[1] == 0:
            raise InputError("VideoEncoder got a video with no frames")
        if mask is None:
            mask = torch.ones(frames.shape[:2], dtype=torch.bool, device=frames.device)
        elif tuple(mask.shape) != tuple(frames.shape[:2]):
            raise InputError(f"frames mask must have shape {tuple(frames.shape[:2])}, got {tuple(mask.shape)}")
        dev = self.sync_proj[0].weight.device
        return frames.to(dev), mask.to(dev, torch.bool)
