"""Long audio from overlapping windows: window plans and the crossfade that joins them.

A clip longer than the model's window is cut into windows of latent frames. Window ``k > 0``
starts ``context`` frames before window ``k - 1`` ends; the first half of those frames is carried
over as known latents (see :func:`genav.sampling.with_known_prefix` and
:func:`held_context`) and the decoded waves are joined over
the other half by an equal-power crossfade whose gain is corrected for how correlated the two
sides are (identical sides keep their level instead of rising by 3 dB at the middle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genav.errors import InputError


@dataclass(frozen=True)
class Window:
    """Latent frames ``[start, end)``; the first ``context`` of them repeat the previous window."""

    index: int
    start: int
    end: int
    context: int

    @property
    def frames(self) -> int:
        return self.end - self.start


def plan_windows(total: int, window: int, overlap: int) -> list[Window]:
    """Windows covering ``total`` frames, each ``window`` frames long (one window if it fits).

    Consecutive windows share at least ``overlap`` frames; the last window is moved back so it
    is full length (sharing more with its neighbour) rather than ending in a short stub.
    """
    if total < 1 or window < 1:
        raise InputError(f"need at least one frame to plan windows (total={total}, window={window})")
    if total <= window:
        return [Window(0, 0, total, 0)]
    if not 0 < overlap < window:
        raise InputError(
            f"window overlap must be > 0 and shorter than the window ({overlap} vs {window} frames)"
        )
    hop = window - overlap
    out = [Window(0, 0, window, 0)]
    while out[-1].end < total:
        prev = out[-1]
        start = min(prev.start + hop, total - window)
        out.append(Window(len(out), start, start + window, prev.end - start))
    return out


def equal_power_gains(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fade-out and fade-in gains ``(n,)``: ``cos`` and ``sin`` of a quarter turn (sum of squares 1)."""
    theta = (np.arange(n, dtype=np.float64) + 0.5) / n * (np.pi / 2)
    return np.cos(theta), np.sin(theta)


def crossfade(tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Join ``tail`` (end of the earlier sound) into ``head`` (start of the later one).

    Both ``(..., n)`` over the same span. Per leading row, the equal-power mix
    ``cos * tail + sin * head`` is divided by ``sqrt(1 + 2 r cos sin)``, ``r`` in [0, 1] being
    the correlation of the two sides: for independent sides (``r = 0``) it is the plain
    equal-power fade, for identical sides (``r = 1``) it returns them unchanged.
    """
    if tail.shape != head.shape:
        raise InputError(f"crossfade needs equal shapes, got {tail.shape} and {head.shape}")
    n = tail.shape[-1]
    if n == 0:
        return head.copy()
    g_out, g_in = equal_power_gains(n)
    a = tail.astype(np.float64).reshape(-1, n)
    b = head.astype(np.float64).reshape(-1, n)
    energy = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    r = np.where(energy > 0, (a * b).sum(-1) / np.maximum(energy, 1e-30), 0.0)
    r = np.clip(r, 0.0, 1.0)[:, None]
    mixed = (g_out * a + g_in * b) / np.sqrt(1.0 + 2.0 * r * g_out * g_in)
    return mixed.reshape(tail.shape).astype(tail.dtype)


class WaveAssembler:
    """Collects decoded windows ``(B, C, n)`` into one ``(B, C, total)`` wave, crossfading joins."""

    def __init__(self, batch: int, channels: int, total: int) -> None:
        self.wave = np.zeros((batch, channels, total), dtype=np.float32)
        self.written = 0

    def add(self, start: int, chunk: np.ndarray) -> None:
        """Place ``chunk`` at sample ``start``; the part before :attr:`written` is crossfaded in."""
        if start > self.written:
            raise InputError(
                f"gap in the windows: chunk starts at {start}, only {self.written} samples written"
            )
        end = min(start + chunk.shape[-1], self.wave.shape[-1])
        chunk = chunk[..., : end - start]
        shared = min(self.written, end) - start
        if shared > 0:
            self.wave[..., start : start + shared] = crossfade(
                self.wave[..., start : start + shared], chunk[..., :shared]
            )
        self.wave[..., start + shared : end] = chunk[..., shared:]
        self.written = max(self.written, end)


def held_context(shared: int) -> int:
    """Latent frames of a window's shared span held to the previous window: the first half (at least
    one). The rest is generated freely and crossfaded, so that where the new window parts from the
    old sound the join is a fade, not a jump at the end of the held frames."""
    return max(1, (shared + 1) // 2)


def default_overlap(window: float) -> float:
    """Seconds shared by consecutive windows unless told: 1 s, at most a quarter of the window."""
    return min(1.0, window / 4)
