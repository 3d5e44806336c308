"""Frozen image encoders (CLIP / SigLIP vision towers) from local HF folders.

Frames are resized (shorter side to the model's ``image_size``, bilinear, antialiased),
centre-cropped and normalised with the folder's ``preprocessor_config.json`` mean/std when present
(CLIP's or SigLIP's standard values otherwise); the embedding is the tower's pooled output.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

from genav.encoders._hf import load_failure, read_model_type, require_hf_folder
from genav.errors import CheckpointError, InputError

_CLIP_STATS = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))
_SIGLIP_STATS = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
_CLASSES = {
    "clip": ("CLIPVisionModel", _CLIP_STATS),
    "clip_vision_model": ("CLIPVisionModel", _CLIP_STATS),
    "siglip": ("SiglipVisionModel", _SIGLIP_STATS),
    "siglip_vision_model": ("SiglipVisionModel", _SIGLIP_STATS),
}


class CLIPVisionEncoder(torch.nn.Module):
    """``encode_images((N, H, W, 3) uint8) -> (N, dim)`` with a frozen CLIP or SigLIP vision tower.

    The network is kept out of the module tree (moved by ``.to()``, absent from ``state_dict()``).
    """

    def __init__(self, folder: str | Path, *, batch_size: int = 64) -> None:
        super().__init__()
        import transformers

        what = "vision encoder"
        folder = require_hf_folder(folder, what)
        kind = read_model_type(folder, what)
        if kind not in _CLASSES:
            raise CheckpointError(f"{what}: {folder} holds a {kind!r} model; expected one of {sorted(_CLASSES)}")
        class_name, (mean, std) = _CLASSES[kind]
        try:
            model = getattr(transformers, class_name).from_pretrained(folder, local_files_only=True)
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise load_failure(what, folder, exc) from None
        model.eval().requires_grad_(False)
        object.__setattr__(self, "_model", model)
        pre = folder / "preprocessor_config.json"
        if pre.is_file():
            data = json.loads(pre.read_text())
            mean, std = data.get("image_mean", mean), data.get("image_std", std)
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.folder = folder
        self.image_size = int(model.config.image_size)
        self.dim = int(model.config.hidden_size)
        self.batch_size = batch_size

    def _apply(self, fn, recurse: bool = True):
        self._model._apply(fn)
        return super()._apply(fn, recurse)

    @torch.no_grad()
    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 -> pooled embeddings ``(N, dim)`` float32."""
        if images.dim() != 4 or images.shape[-1] != 3 or images.dtype != torch.uint8:
            raise InputError(f"encode_images expects uint8 images (N, H, W, 3), got {images.dtype} {tuple(images.shape)}")
        dtype = next(self._model.parameters()).dtype
        out = []
        for start in range(0, images.shape[0], self.batch_size):
            x = self.preprocess(images[start : start + self.batch_size].to(self.mean.device))
            out.append(self._model(pixel_values=x.to(dtype)).pooler_output.float())
        return torch.cat(out)

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 -> normalised ``(N, 3, S, S)`` float32, ``S = image_size``."""
        x = images.permute(0, 3, 1, 2).float() / 255.0
        h, w = x.shape[-2:]
        s = self.image_size
        scale = s / min(h, w)
        nh, nw = max(s, round(h * scale)), max(s, round(w * scale))
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", antialias=True, align_corners=False)
        top, left = (nh - s) // 2, (nw - s) // 2
        x = x[..., top : top + s, left : left + s]
        return (x - self.mean) / self.std
