"""Sound synthesis for the synthetic world: modal impacts, drums, beeps, friction, hum, textures.

Every sound starts with a sharp, broadband attack at its event time (so onset detectors fire on
it) and has a single attack (no rattles or echoes that would read as a second onset). Timbre
follows material and size (mode frequencies scale with 1/size, decays with material damping);
loudness follows the speed of the visible motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal


@dataclass(frozen=True)
class Material:
    """Acoustic and visual properties of a material."""

    color: tuple[float, float, float]
    f0: float  # lowest mode for a medium-size object, Hz
    ratios: tuple[float, ...]  # mode frequency ratios
    decays: tuple[float, ...]  # mode decay time constants, s
    noise: float  # contact-noise share
    hardness: float  # 0..1: brighter contact noise


MATERIALS: dict[str, Material] = {
    "wood": Material((150, 100, 55), 420, (1, 2.57, 4.2, 6.1), (0.09, 0.06, 0.04, 0.03), 0.35, 0.5),
    "metal": Material((165, 170, 180), 900, (1, 2.76, 5.40, 8.93), (0.8, 0.55, 0.35, 0.22), 0.12, 0.9),
    "glass": Material((150, 215, 225), 1500, (1, 2.32, 4.25, 6.63), (0.45, 0.3, 0.18, 0.12), 0.1, 1.0),
    "plastic": Material((215, 60, 60), 650, (1, 1.8, 3.1, 4.6), (0.05, 0.035, 0.025, 0.02), 0.4, 0.6),
    "rubber": Material((40, 40, 45), 170, (1, 1.5, 2.2), (0.035, 0.025, 0.018), 0.25, 0.15),
    "stone": Material((135, 130, 120), 480, (1, 2.1, 3.7, 5.3), (0.045, 0.03, 0.02, 0.015), 0.6, 0.8),
    "cardboard": Material((185, 150, 100), 260, (1, 1.9, 3.3), (0.03, 0.022, 0.016), 0.5, 0.3),
}


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def band(x: np.ndarray, sr: int, lo: float | None, hi: float | None, order: int = 2) -> np.ndarray:
    """Butterworth low/high/band-pass; cut-offs are clamped below Nyquist."""
    nyq = sr / 2.0
    hi = None if hi is None or hi >= 0.95 * nyq else hi
    if lo is not None and hi is not None:
        sos = signal.butter(order, [lo, hi], btype="bandpass", fs=sr, output="sos")
    elif lo is not None:
        sos = signal.butter(order, lo, btype="highpass", fs=sr, output="sos")
    elif hi is not None:
        sos = signal.butter(order, hi, btype="lowpass", fs=sr, output="sos")
    else:
        return x
    return signal.sosfilt(sos, x)


def layer(*parts: tuple[float, np.ndarray]) -> np.ndarray:
    """Sum ``(gain, sound)`` parts that all start at sample 0; as long as the longest part."""
    out = np.zeros(max(len(p) for _, p in parts))
    for gain, part in parts:
        out[: len(part)] += gain * part
    return out


def add_at(buffer: np.ndarray, start: int, sound: np.ndarray) -> None:
    """Mix ``sound`` into ``buffer`` from sample ``start`` on, cutting what falls outside."""
    if start >= len(buffer):
        return
    n = min(len(sound), len(buffer) - start)
    buffer[start : start + n] += sound[:n]


def _time(sr: int, seconds: float) -> np.ndarray:
    return np.arange(int(round(seconds * sr))) / sr


def _tail_fade(x: np.ndarray, sr: int, seconds: float = 0.03) -> np.ndarray:
    """Fade the end out smoothly: a cut while a sound still rings splatters across the spectrum
    and reads as an onset."""
    n = min(len(x), int(seconds * sr))
    if n > 1:
        x[-n:] *= 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, n))
    return x


def modes(
    sr: int, freqs: np.ndarray, decays: np.ndarray, amps: np.ndarray, length: float, rng: np.random.Generator
) -> np.ndarray:
    """Sum of exponentially damped sinusoids; modes above 0.45 * sr are dropped."""
    t = _time(sr, length)
    out = np.zeros_like(t)
    for f, d, a in zip(freqs, decays, amps, strict=True):
        if f < 0.45 * sr:
            out += a * np.sin(2 * np.pi * f * t + rng.uniform(0, 0.3)) * np.exp(-t / d)
    return out


def click(rng: np.random.Generator, sr: int, decay: float, hardness: float) -> np.ndarray:
    """A contact transient: a noise burst with a few-ms decay, brighter when harder."""
    t = _time(sr, decay * 6)
    burst = white(rng, len(t)) * np.exp(-t / decay)
    return band(burst, sr, 60.0, 1500.0 + 6000.0 * hardness)


def impact(rng: np.random.Generator, sr: int, material: str, size: float, speed: float) -> np.ndarray:
    """An object of ``material`` and relative ``size`` (1 = medium) hitting something at relative
    ``speed`` (0..1]: modes at f0 / size plus a contact click; peak level follows speed."""
    mat = MATERIALS[material]
    n_modes = len(mat.ratios)
    freqs = mat.f0 / size * np.asarray(mat.ratios) * rng.uniform(0.96, 1.04, n_modes)
    decays = np.asarray(mat.decays) * np.sqrt(size) * rng.uniform(0.85, 1.15, n_modes)
    amps = (1.0 / np.arange(1, n_modes + 1) ** 0.7) * rng.uniform(0.7, 1.0, n_modes)
    length = min(2.0, 7.0 * float(decays.max()) + 0.03)
    body = modes(sr, freqs, decays, amps, length, rng)
    body /= max(np.abs(body).max(), 1e-9)
    tick = click(rng, sr, 0.003 + 0.004 * (1 - mat.hardness), mat.hardness)
    tick /= max(np.abs(tick).max(), 1e-9)
    return _tail_fade(layer((1 - mat.noise, body), (mat.noise, tick)) * speed, sr)


DRUMS: dict[str, tuple[float, float, float]] = {  # kind -> (f0 Hz, decay s, snare-noise share)
    "bass drum": (60.0, 0.35, 0.0),
    "tom": (140.0, 0.25, 0.0),
    "snare drum": (200.0, 0.15, 0.55),
    "bongo": (380.0, 0.12, 0.0),
}


def drum(rng: np.random.Generator, sr: int, kind: str, size: float, speed: float) -> np.ndarray:
    """Membrane modes (Bessel ratios) with a short downward pitch glide, stick click, snare noise."""
    f0, decay, snare = DRUMS[kind]
    f0 = f0 / size * rng.uniform(0.95, 1.05)
    t = _time(sr, min(1.5, decay * 7))
    glide = 1.0 + 0.25 * np.exp(-t / 0.03)
    out = np.zeros_like(t)
    for ratio, amp, d in zip(
        (1.0, 1.59, 2.14, 2.30, 2.65), (1.0, 0.5, 0.35, 0.3, 0.2), (1, 0.7, 0.5, 0.45, 0.4), strict=True
    ):
        phase = 2 * np.pi * np.cumsum(f0 * ratio * glide) / sr
        out += amp * np.sin(phase) * np.exp(-t / (decay * d))
    out /= max(np.abs(out).max(), 1e-9)
    noise = band(white(rng, len(t)), sr, 1800.0, 7000.0) * np.exp(-t / 0.1)
    noise /= max(np.abs(noise).max(), 1e-9)
    tick = click(rng, sr, 0.002, 0.8)
    tick /= max(np.abs(tick).max(), 1e-9)
    sound = layer((1 - snare, out), (snare, noise), (0.3, tick))
    return _tail_fade(sound * speed, sr)


def door_slam(rng: np.random.Generator, sr: int, material: str, speed: float) -> np.ndarray:
    """A heavy low thud of the panel, the crack of the frame and the latch, all at once."""
    big = impact(rng, sr, material, 4.0 if material == "wood" else 2.5, 1.0)
    latch = impact(rng, sr, "metal", 0.45, 0.35)
    crack = click(rng, sr, 0.02, 0.4)
    crack /= max(np.abs(crack).max(), 1e-9)
    out = layer((1.0, big), (1.0, latch), (0.5, crack))
    return out * speed / max(np.abs(out).max(), 1e-9)


def beep(rng: np.random.Generator, sr: int, freq: float, seconds: float, level: float) -> np.ndarray:
    """An electronic beep: a tone with odd harmonics and a speaker tick, 1 ms attack and a 40 ms
    release (an abrupt stop splatters across the spectrum and reads as a second onset)."""
    t = _time(sr, seconds)
    tone = (
        np.sin(2 * np.pi * freq * t)
        + 0.3 * np.sin(2 * np.pi * 3 * freq * t)
        + 0.15 * np.sin(2 * np.pi * 5 * freq * t) * (5 * freq < 0.45 * sr)
    )
    release = np.clip((seconds - t) / 0.04, 0.0, 1.0)
    env = np.minimum(1.0, t / 0.001) * (0.5 - 0.5 * np.cos(np.pi * release))
    tick = click(rng, sr, 0.0015, 1.0)
    tick /= max(np.abs(tick).max(), 1e-9)
    return level * layer((1 / 1.45, tone * env), (0.4, tick))


SURFACES: dict[str, tuple[str, float, float, float]] = {  # surface -> (modal material, size, noise lo, hi)
    "wooden floor": ("wood", 1.6, 150.0, 4000.0),
    "gravel": ("stone", 0.8, 400.0, 7000.0),
    "concrete": ("stone", 1.4, 300.0, 6000.0),
    "metal grate": ("metal", 1.3, 500.0, 6000.0),
    "snow": ("cardboard", 2.0, 100.0, 2500.0),
}


def footstep(rng: np.random.Generator, sr: int, surface: str, speed: float) -> np.ndarray:
    """A footfall on ``surface``: a low modal thud under a scuff of filtered noise."""
    material, size, lo, hi = SURFACES[surface]
    thud = impact(rng, sr, material, size * rng.uniform(0.9, 1.1), 1.0)
    t = _time(sr, 0.12)
    scuff = band(white(rng, len(t)), sr, lo, hi) * np.exp(-t / 0.025)
    scuff /= max(np.abs(scuff).max(), 1e-9)
    out = layer((0.6, thud), (0.6, scuff))
    return _tail_fade(out * speed / max(np.abs(out).max(), 1e-9), sr)


def follow(values: np.ndarray, fps: float, sr: int, n: int) -> np.ndarray:
    """Per-frame values (value i holds at time i / fps) interpolated to an (n,) per-sample curve."""
    t = np.arange(n) / sr
    return np.interp(t, np.arange(len(values)) / fps, values)


def friction(
    rng: np.random.Generator, sr: int, material: str, level: np.ndarray, rolling: bool
) -> np.ndarray:
    """Scraping (or rolling rumble) noise whose amplitude follows ``level`` (n,) in 0..1."""
    if rolling:
        noise = band(white(rng, len(level)), sr, 40.0, 450.0)
    else:
        mat = MATERIALS[material]
        noise = band(white(rng, len(level)), sr, 250.0, 1500.0 + 4000.0 * mat.hardness)
    noise /= max(np.abs(noise).max(), 1e-9) / 2.5
    return noise * level


def hum(rng: np.random.Generator, sr: int, f0: np.ndarray, level: np.ndarray) -> np.ndarray:
    """An engine: harmonics of the time-varying fundamental ``f0`` (n,) Hz, amplitude ``level``."""
    phase = 2 * np.pi * np.cumsum(f0) / sr
    out = np.zeros_like(f0)
    for h in range(1, 16):
        weight = (1.0 / h**0.9) * (1.3 if h % 2 else 1.0)
        out += weight * np.sin(h * phase) * (h * f0 < 0.45 * sr)
    out += 0.4 * band(white(rng, len(f0)), sr, 80.0, 2000.0)
    out /= 3.0
    return out * level


def texture(rng: np.random.Generator, sr: int, kind: str, n: int) -> np.ndarray:
    """A stationary background of ``n`` samples (rain, wind or crowd), unit RMS once faded in.

    It fades in linearly in dB over the first 1.5 s: a texture that is simply there from the
    first sample reads as an onset at the start of the clip.
    """
    t = np.arange(n) / sr
    if kind == "rain":
        x = band(white(rng, n), sr, 700.0, 7000.0) + 0.5 * band(white(rng, n), sr, 150.0, 700.0)
        x *= 1.0 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.05, 0.15) * t)
    elif kind == "wind":
        x = band(white(rng, n), sr, 60.0, rng.uniform(350.0, 700.0), order=3)
        x *= 0.65 + 0.35 * np.sin(2 * np.pi * rng.uniform(0.12, 0.3) * t + rng.uniform(0, 6.28))
    elif kind == "crowd":
        # many voices with independent syllable rhythms: the sum murmurs without distinct onsets
        x = np.zeros(n)
        control = np.arange(n) / 400.0  # a 40 Hz control rate at 16 kHz
        for _ in range(12):
            voice = band(white(rng, n), sr, rng.uniform(250, 500), rng.uniform(1500, 3200))
            syllables = band(rng.standard_normal(int(control[-1]) + 2), 40, None, 4.0)
            x += voice * (1.0 + 0.3 * np.tanh(np.interp(control, np.arange(len(syllables)), syllables) * 3))
    else:
        raise ValueError(f"unknown texture {kind!r}")
    x /= max(float(np.sqrt(np.mean(x**2))), 1e-9)
    return x * 10.0 ** ((-60.0 + 60.0 * np.minimum(1.0, t / 1.5)) / 20.0)
