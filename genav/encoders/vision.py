"""Frozen image encoders (CLIP / SigLIP vision towers, DINOv2) from local HF folders.

Frames are prepared as the folder's own image processor (``transformers.AutoImageProcessor`` from
its ``preprocessor_config.json``) prepares images: its resize (shorter side to ``shortest_edge``,
or to a fixed ``height x width``), its resampling filter (bicubic for CLIP, SigLIP and DINOv2),
its centre crop, rescale and mean/std. The processor gives the numbers; the work is done here in
torch on whole batches of frames (the processor itself goes image by image through PIL), rounded
to 8 bits after resizing as PIL does, so inputs agree with the processor's to rounding. A folder
without a processor config gets its family's standard processor at the model's ``image_size``.
The embedding is the tower's pooled output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from genav.encoders._hf import load_failure, read_model_type, require_hf_folder
from genav.errors import CheckpointError, InputError

log = logging.getLogger(__name__)

_CLASSES = {
    "clip": "CLIPVisionModel",
    "clip_vision_model": "CLIPVisionModel",
    "siglip": "SiglipVisionModel",
    "siglip_vision_model": "SiglipVisionModel",
    "dinov2": "Dinov2Model",
}
# PIL's filter numbers (what processors store as ``resample``) -> torch interpolate modes
_RESAMPLE = {0: "nearest", 2: "bilinear", 3: "bicubic"}
_IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


@dataclass(frozen=True)
class ImagePreprocess:
    """An image processor's settings: resize to ``shortest_edge`` (aspect kept) or to ``size``
    (height, width); ``resample`` (torch mode); ``crop`` (height, width) or None; ``rescale``
    (multiplies 0..255 values); ``mean``/``std`` per RGB channel (None: no normalisation)."""

    shortest_edge: int | None
    size: tuple[int, int] | None
    resample: str
    crop: tuple[int, int] | None
    rescale: float
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None

    @classmethod
    def from_processor(cls, processor: Any, what: str) -> ImagePreprocess:
        """Read a transformers image processor (v4 dict or v5 ``SizeDict`` sizes).

        Raises:
            CheckpointError: a resampling filter other than nearest/bilinear/bicubic, or a resize
                that is neither ``shortest_edge`` nor ``height``/``width``.
        """
        shortest = size = crop = None
        if getattr(processor, "do_resize", True):
            shortest, height, width = (
                _size_key(processor.size, k) for k in ("shortest_edge", "height", "width")
            )
            size = (height, width) if shortest is None and height and width else None
            if shortest is None and size is None:
                raise CheckpointError(f"{what}: unsupported resize in its image processor: {processor.size}")
        if getattr(processor, "do_center_crop", False):
            crop = (_size_key(processor.crop_size, "height"), _size_key(processor.crop_size, "width"))
        resample = _RESAMPLE.get(int(getattr(processor, "resample", 3)))
        if resample is None:
            raise CheckpointError(
                f"{what}: unsupported resampling filter {processor.resample} (nearest/bilinear/bicubic)"
            )
        normalize = getattr(processor, "do_normalize", True)
        return cls(
            shortest, size, resample, crop,
            float(processor.rescale_factor) if getattr(processor, "do_rescale", True) else 1.0,
            tuple(float(v) for v in processor.image_mean) if normalize else None,
            tuple(float(v) for v in processor.image_std) if normalize else None,
        )  # fmt: skip

    @property
    def decode_size(self) -> int:
        """Side (pixels) to decode video frames at: the resize target, so nothing is lost to it."""
        return self.shortest_edge if self.shortest_edge is not None else max(self.size or (0, 0))

    def resize_shape(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) after the resize, as the processors compute it (long side truncated)."""
        if self.size is not None:
            return self.size
        if self.shortest_edge is None:
            return height, width
        s = self.shortest_edge
        return (s, int(s * width / height)) if height <= width else (int(s * height / width), s)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 -> ``(N, 3, h, w)`` float32 model input."""
        x = images.permute(0, 3, 1, 2).float()
        h, w = x.shape[-2:]
        nh, nw = self.resize_shape(h, w)
        if (nh, nw) != (h, w):
            smooth = self.resample != "nearest"
            x = F.interpolate(x, size=(nh, nw), mode=self.resample, antialias=smooth,
                              align_corners=False if smooth else None)  # fmt: skip
            x = x.round().clamp(0, 255)  # processors resize 8-bit images
        if self.crop is not None:
            ch, cw = self.crop
            if ch > nh or cw > nw:
                raise InputError(f"frames of {nh}x{nw} after resizing are smaller than the {ch}x{cw} crop")
            top, left = (nh - ch) // 2, (nw - cw) // 2
            x = x[..., top : top + ch, left : left + cw]
        x = x * self.rescale
        if self.mean is not None and self.std is not None:
            x = (x - x.new_tensor(self.mean).view(1, 3, 1, 1)) / x.new_tensor(self.std).view(1, 3, 1, 1)
        return x


def _size_key(size: Any, key: str) -> int | None:
    value = size.get(key) if isinstance(size, dict) else getattr(size, key, None)
    return int(value) if value else None


def _default_processor(kind: str, image_size: int) -> Any:
    """The family's standard processor at ``image_size`` (for folders without a processor config)."""
    import transformers

    square = {"height": image_size, "width": image_size}
    if kind.startswith("siglip"):
        return transformers.SiglipImageProcessor(size=square)
    if kind == "dinov2":  # DINOv2 resizes to 256/224 of the crop
        mean, std = _IMAGENET_STATS
        return transformers.BitImageProcessor(
            size={"shortest_edge": round(image_size * 256 / 224)},
            crop_size=square,
            image_mean=mean,
            image_std=std,
        )
    return transformers.CLIPImageProcessor(size={"shortest_edge": image_size}, crop_size=square)


def load_image_preprocess(folder: Path, kind: str, image_size: int, what: str) -> ImagePreprocess:
    """The settings of ``folder``'s own image processor (``AutoImageProcessor``), or of its family's
    standard one at ``image_size`` when the folder has no ``preprocessor_config.json``."""
    import transformers

    if (folder / "preprocessor_config.json").is_file():
        try:
            processor = transformers.AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise load_failure(what, folder, exc) from None
    else:
        log.info(
            "%s: %s has no preprocessor_config.json; using the standard %s processor", what, folder, kind
        )
        processor = _default_processor(kind, image_size)
    return ImagePreprocess.from_processor(processor, what)


def _kind(folder: Path, what: str) -> str:
    kind = read_model_type(folder, what)
    if kind not in _CLASSES:
        raise CheckpointError(f"{what}: {folder} holds a {kind!r} model; expected one of {sorted(_CLASSES)}")
    return kind


def _image_size(config: Any) -> int:
    return int(getattr(config, "vision_config", config).image_size)


class CLIPVisionEncoder(torch.nn.Module):
    """``encode_images((N, H, W, 3) uint8) -> (N, dim)`` with a frozen CLIP, SigLIP or DINOv2 tower.

    The network is kept out of the module tree (moved by ``.to()``, absent from ``state_dict()``).
    ``preprocess`` holds the folder's image-processor settings (:class:`ImagePreprocess`).
    """

    def __init__(self, folder: str | Path, *, batch_size: int = 64) -> None:
        super().__init__()
        import transformers

        what = "vision encoder"
        folder = require_hf_folder(folder, what)
        kind = _kind(folder, what)
        try:
            model = getattr(transformers, _CLASSES[kind]).from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise load_failure(what, folder, exc) from None
        model.eval().requires_grad_(False)
        object.__setattr__(self, "_model", model)
        self.folder = folder
        self.image_size = _image_size(model.config)
        self.preprocess = load_image_preprocess(folder, kind, self.image_size, what)
        self.dim = int(model.config.hidden_size)
        self.batch_size = batch_size

    @property
    def device(self) -> torch.device:
        return next(self._model.parameters()).device

    def _apply(self, fn, recurse: bool = True):
        self._model._apply(fn)
        return super()._apply(fn, recurse)

    @torch.no_grad()
    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 -> pooled embeddings ``(N, dim)`` float32.

        Raises:
            InputError: ``images`` are not uint8 ``(N, H, W, 3)``, or too small for the crop.
        """
        if images.dim() != 4 or images.shape[-1] != 3 or images.dtype != torch.uint8:
            raise InputError(
                f"encode_images expects uint8 images (N, H, W, 3), got {images.dtype} {tuple(images.shape)}"
            )
        dtype = next(self._model.parameters()).dtype
        out = []
        for start in range(0, images.shape[0], self.batch_size):
            x = self.preprocess(images[start : start + self.batch_size].to(self.device))
            out.append(self._model(pixel_values=x.to(dtype)).pooler_output.float())
        return torch.cat(out)
