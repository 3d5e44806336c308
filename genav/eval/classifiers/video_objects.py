"""What a text-to-video clip shows: the object class and colour detector (``genav-objects``).

A small CNN that looks at single 64x64 frames of the synthetic world's text-to-video subset and
names the visible object's class (:data:`~genav.data.synth.timed.CLASSES`: ball, box, light,
door) and colour (:data:`~genav.data.synth.timed.COLOURS`). A clip's answer averages the class
and colour probabilities over its frames. It is trained here on true frames (blurred and noised
at random, so that soft generated frames are still read) by :func:`train_object_detector`, and
its accuracy on held-out true clips is in its model card; it knows only this world.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genav.checkpoint import load_module_folder
from genav.config import Config
from genav.data.synth.timed import CLASSES, COLOURS
from genav.errors import InputError
from genav.registry import CHECKPOINTS_DIR

DETECTOR_NAME = "genav-objects"


@dataclasses.dataclass(frozen=True)
class ObjectDetectorConfig(Config):
    """Architecture of the detector; ``classes``/``colours`` name its two heads' outputs in order."""

    model_type: ClassVar[str] = "video-objects"

    name: str = DETECTOR_NAME
    frame_size: int = 64
    channels: tuple[int, ...] = (16, 32, 64)
    classes: tuple[str, ...] = CLASSES
    colours: tuple[str, ...] = COLOURS


class ObjectDetector(nn.Module):
    """frames ``(N, 3, S, S)`` float in [0, 1] -> (class logits ``(N, classes)``, colour logits ``(N, colours)``)."""

    def __init__(self, config: ObjectDetectorConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        prev = 3
        for ch in config.channels:
            layers += [nn.Conv2d(prev, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.ReLU(),
                       nn.Conv2d(ch, ch, 3, padding=1, stride=2), nn.BatchNorm2d(ch), nn.ReLU()]
            prev = ch
        self.body = nn.Sequential(*layers)
        self.class_head = nn.Linear(2 * prev, len(config.classes))
        self.colour_head = nn.Linear(2 * prev, len(config.colours))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.body(x)
        pooled = torch.cat([h.mean((2, 3)), h.amax((2, 3))], 1)  # mean: colour mass; max: small objects
        return self.class_head(pooled), self.colour_head(pooled)


def frames_tensor(frames: np.ndarray | Tensor, size: int) -> Tensor:
    """Frames ``(T, H, W, 3)`` uint8 -> ``(T, 3, size, size)`` float in [0, 1] (area-resized if needed)."""
    x = torch.as_tensor(np.asarray(frames))
    if x.ndim != 4 or x.shape[-1] != 3 or x.dtype != torch.uint8:
        raise InputError(f"expected frames (T, H, W, 3) uint8, got {tuple(x.shape)} {x.dtype}")
    x = x.permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="area")
    return x


@dataclass(frozen=True)
class Detection:
    """A clip's object: ``cls`` and ``colour`` (the most probable), with the mean probabilities."""

    cls: str
    colour: str
    class_probs: dict[str, float]
    colour_probs: dict[str, float]


class ObjectReader:
    """A loaded detector: :meth:`read` names the class and colour a clip shows."""

    def __init__(self, model: ObjectDetector) -> None:
        self.model = model.eval()
        self.config = model.config

    @classmethod
    def load(cls, folder: str | Path | None = None) -> ObjectReader:
        """From a model folder (default: the embedded ``checkpoints/genav-objects``)."""
        folder = Path(folder) if folder is not None else CHECKPOINTS_DIR / DETECTOR_NAME
        return cls(load_module_folder(folder, ObjectDetectorConfig, ObjectDetector))

    @torch.no_grad()
    def read(self, frames: np.ndarray | Tensor) -> Detection:
        """Frames ``(T, H, W, 3)`` uint8 of one clip -> its :class:`Detection`."""
        x = frames_tensor(frames, self.config.frame_size)
        class_logits, colour_logits = self.model(x)
        cp, kp = class_logits.softmax(-1).mean(0), colour_logits.softmax(-1).mean(0)
        c = self.config
        return Detection(c.classes[int(cp.argmax())], c.colours[int(kp.argmax())],
                         {n: round(float(p), 4) for n, p in zip(c.classes, cp, strict=True)},
                         {n: round(float(p), 4) for n, p in zip(c.colours, kp, strict=True)})
