"""Anti-aliased drawing on float RGB frames.

Shapes are drawn with sub-pixel positions and a one-pixel soft edge, so a shape that moves by a
fraction of a pixel changes the picture smoothly: optical flow then follows the true motion
instead of jumping with integer rounding.
"""

from __future__ import annotations

import numpy as np

Color = tuple[float, float, float]


class Canvas:
    """One (H, W, 3) float32 frame in 0..255, with shape primitives that blend into it."""

    def __init__(self, image: np.ndarray, ink: Color = (25.0, 25.0, 25.0), ink_width: float = 1.0) -> None:
        self.image = image
        self.height, self.width = image.shape[:2]
        # Outlines in a colour that contrasts with the background: optical flow works on grey
        # levels, and a shape whose grey matches the wall is invisible to it.
        self.ink = ink
        self.ink_width = ink_width

    def _box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice] | None:
        c0, c1 = max(int(np.floor(x0)) - 1, 0), min(int(np.ceil(x1)) + 2, self.width)
        r0, r1 = max(int(np.floor(y0)) - 1, 0), min(int(np.ceil(y1)) + 2, self.height)
        if c0 >= c1 or r0 >= r1:
            return None
        return slice(r0, r1), slice(c0, c1)

    def _blend(self, box: tuple[slice, slice], cover: np.ndarray, color: Color, alpha: float) -> None:
        a = (np.clip(cover, 0.0, 1.0) * alpha)[..., None]
        region = self.image[box]
        region *= 1.0 - a
        region += a * np.asarray(color, dtype=np.float32)

    def _grid(self, box: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
        ys = np.arange(box[0].start, box[0].stop, dtype=np.float32) + 0.5
        xs = np.arange(box[1].start, box[1].stop, dtype=np.float32) + 0.5
        return ys[:, None], xs[None, :]

    def disc(
        self, cx: float, cy: float, r: float, color: Color, alpha: float = 1.0, outline: bool = False
    ) -> None:
        """Filled circle centred at (cx, cy) in pixel coordinates (pixel centres at +0.5)."""
        if outline:
            self.disc(cx, cy, r + self.ink_width, self.ink, alpha)
        box = self._box(cx - r, cy - r, cx + r, cy + r)
        if box is None:
            return
        ys, xs = self._grid(box)
        dist = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
        self._blend(box, r + 0.5 - dist, color, alpha)

    def ellipse(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        color: Color,
        alpha: float = 1.0,
        outline: bool = False,
    ) -> None:
        if outline:
            k = self.ink_width
            self.ellipse(cx, cy, rx + k, ry + k, self.ink, alpha)
        box = self._box(cx - rx, cy - ry, cx + rx, cy + ry)
        if box is None:
            return
        ys, xs = self._grid(box)
        # distance to the boundary, approximated in units of the smaller radius
        norm = np.sqrt(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)
        self._blend(box, (1.0 - norm) * min(rx, ry) + 0.5, color, alpha)

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        color: Color,
        alpha: float = 1.0,
        outline: bool = False,
    ) -> None:
        """Axis-aligned rectangle with exact fractional coverage of border pixels."""
        if outline:
            k = self.ink_width
            self.rect(x0 - k, y0 - k, x1 + k, y1 + k, self.ink, alpha)
        if x1 <= x0 or y1 <= y0:
            return
        box = self._box(x0, y0, x1, y1)
        if box is None:
            return
        ys, xs = self._grid(box)
        cover_x = np.clip(np.minimum(xs + 0.5, x1) - np.maximum(xs - 0.5, x0), 0.0, 1.0)
        cover_y = np.clip(np.minimum(ys + 0.5, y1) - np.maximum(ys - 0.5, y0), 0.0, 1.0)
        self._blend(box, cover_y * cover_x, color, alpha)

    def segment(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        width: float,
        color: Color,
        alpha: float = 1.0,
        outline: bool = False,
    ) -> None:
        """A thick line with round caps (a capsule)."""
        if outline:
            self.segment(x0, y0, x1, y1, width + 2 * self.ink_width, self.ink, alpha)
        half = width / 2.0
        box = self._box(min(x0, x1) - half, min(y0, y1) - half, max(x0, x1) + half, max(y0, y1) + half)
        if box is None:
            return
        ys, xs = self._grid(box)
        dx, dy = x1 - x0, y1 - y0
        length2 = max(dx * dx + dy * dy, 1e-9)
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0.0, 1.0)
        dist = np.sqrt((xs - x0 - t * dx) ** 2 + (ys - y0 - t * dy) ** 2)
        self._blend(box, half + 0.5 - dist, color, alpha)

    def to_uint8(self) -> np.ndarray:
        return np.clip(self.image + 0.5, 0, 255).astype(np.uint8)


def luminance(color: Color) -> float:
    """Grey level as OpenCV computes it (BT.601 weights)."""
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]


def vertical_gradient(height: int, width: int, top: Color, bottom: Color) -> np.ndarray:
    """(H, W, 3) float32 image fading from ``top`` to ``bottom``."""
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    col = (1 - t) * np.asarray(top, np.float32) + t * np.asarray(bottom, np.float32)
    return np.broadcast_to(col, (height, width, 3)).copy()


def shade(color: Color, factor: float) -> Color:
    """Darker (factor < 1) or lighter (factor > 1) version of a colour, clipped to 0..255."""
    return tuple(float(min(max(c * factor, 0.0), 255.0)) for c in color)  # type: ignore[return-value]


def wall_pattern(canvas: Canvas, world: object, rng: np.random.Generator) -> None:
    """A static pattern on the wall (above ``world.horizon_y``): stripes, checks or blotches, in
    soft contrast. Textured walls give optical flow something to track when the camera moves."""
    h = int(world.horizon_y)
    w = canvas.width
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    kind = int(rng.integers(3))
    period = rng.uniform(4.0, 12.0) * w / 64.0
    if kind == 0:
        angle = rng.uniform(0, np.pi)
        wave = np.sin(2 * np.pi * (xs * np.cos(angle) + ys * np.sin(angle)) / period)
    elif kind == 1:
        wave = np.sign(np.sin(np.pi * xs / period) * np.sin(np.pi * ys / period))
    else:
        coarse = rng.normal(size=(max(2, h // 6), max(2, w // 6))).astype(np.float32)
        import cv2

        wave = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
        wave = wave / max(float(np.abs(wave).max()), 1e-6)
    contrast = rng.uniform(10.0, 30.0)
    canvas.image[:h] = np.clip(canvas.image[:h] + contrast * wave[..., None], 0, 255)
