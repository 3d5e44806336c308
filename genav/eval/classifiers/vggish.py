"""VGGish (Hershey et al. 2017, "CNN Architectures for Large-Scale Audio Classification"), written for
genav, loading the torch port's checkpoints strictly (``vggish-10086976.pth``: ``features.{0,3,6,8,
11,13}`` convolutions and ``embeddings.{0,2,4}`` linears; optional ``vggish_pca_params-970ea276.pth``
with ``pca_eigen_vectors`` (128, 128) and ``pca_means`` (128,)).

Front end (the AudioSet release's definition), 16 kHz mono in: frames of 25 ms (400 samples) every
10 ms (160), no padding; periodic Hann window; 512-point FFT magnitude (not power); HTK-mel
filterbank of 64 bands from 125 to 7500 Hz (mel = 1127 ln(1 + f / 700), triangles over the FFT bin
centres, the DC bin zeroed); ``log(mel + 0.01)``. Examples are 96 frames (0.96 s) with a 0.96 s hop;
a trailing partial example is dropped, so a clip needs >= 15600 samples (0.975 s).

Network: VGG (conv3x3-ReLU blocks of 64, 128, 256x2, 512x2 channels with 2x2 max pooling) -> (512,
6, 4) flattened in (time, frequency, channel) order as the TensorFlow original -> 4096 -> 4096 ->
128, each followed by ReLU. Post-processing (when the PCA parameters are given): ``(e - means) @
V^T``, clipped to [-2, 2] and quantised to 0..255 (kept as float). av-benchmark's FD_VGG uses the
raw 128-d embeddings (no PCA), one per 0.96 s example, pooled over all clips.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn

from genav.errors import CheckpointError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
WIN, HOP, N_FFT, N_MELS = 400, 160, 512, 64
FMIN, FMAX = 125.0, 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96
EMBED_DIM = 128
MIN_SAMPLES = WIN + (EXAMPLE_FRAMES - 1) * HOP
_CONV_INDICES = (0, 3, 6, 8, 11, 13)


def htk_mel_matrix(n_mels: int = N_MELS, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE,
                   fmin: float = FMIN, fmax: float = FMAX) -> np.ndarray:  # fmt: skip
    """VGGish's mel matrix (n_fft // 2 + 1, n_mels): HTK-mel triangles over linearly spaced bins, DC row 0."""
    mel = lambda f: 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)  # noqa: E731
    bins = mel(np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1))
    edges = np.linspace(mel(fmin), mel(fmax), n_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    up = (bins[:, None] - lower) / (center - lower)
    down = (upper - bins[:, None]) / (upper - center)
    matrix = np.maximum(0.0, np.minimum(up, down))
    matrix[0, :] = 0.0
    return matrix


class VggishFrontEnd(nn.Module):
    """wave (T,) at 16 kHz -> examples (E, 1, 96, 64) of log-mel; E = frames // 96."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer(
            "window", torch.hann_window(WIN, periodic=True, dtype=torch.float64), persistent=False
        )
        self.register_buffer("mel", torch.from_numpy(htk_mel_matrix()), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = wave.double()
        frames = x.unfold(-1, WIN, HOP) * self.window  # (frames, 400)
        magnitude = torch.fft.rfft(frames, n=N_FFT).abs()  # (frames, 257)
        log_mel = torch.log(magnitude @ self.mel + LOG_OFFSET)
        n = log_mel.shape[0] // EXAMPLE_FRAMES
        return log_mel[: n * EXAMPLE_FRAMES].reshape(n, 1, EXAMPLE_FRAMES, N_MELS).float()


def _vgg_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    c_in = 1
    for c_out, pool in ((64, True), (128, True), (256, False), (256, True), (512, False), (512, True)):
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(2, 2))
        c_in = c_out
    return nn.Sequential(*layers)


class Vggish(nn.Module):
    """VGGish: wave (B, T) at 16 kHz -> (logits (B, 0), clip embedding (B, 128) = mean over examples).

    :meth:`frame_embeddings` gives the per-example embeddings (E, 128) that FD_VGG pools.
    """

    def __init__(self) -> None:
        super().__init__()
        self.front_end = VggishFrontEnd()
        self.features = _vgg_features()
        self.embeddings = nn.Sequential(
            nn.Linear(512 * 6 * 4, 4096),
            nn.ReLU(),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, EMBED_DIM),
            nn.ReLU(),
        )
        self.pca_eigen_vectors: torch.Tensor | None = None
        self.pca_means: torch.Tensor | None = None

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def postprocess(self) -> bool:
        return self.pca_eigen_vectors is not None

    def embed_examples(self, examples: torch.Tensor) -> torch.Tensor:
        """(E, 1, 96, 64) log-mel examples -> (E, 128) embeddings (PCA-quantised when loaded)."""
        x = self.features(examples)  # (E, 512, 6, 4)
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # (time, freq, channel) as the TF original
        emb = self.embeddings(x)
        if self.pca_eigen_vectors is not None and self.pca_means is not None:
            pca = (emb - self.pca_means) @ self.pca_eigen_vectors.T
            emb = torch.round((pca.clamp(-2.0, 2.0) + 2.0) * (255.0 / 4.0))
        return emb

    def frame_embeddings(self, wave: torch.Tensor) -> torch.Tensor:
        """(T,) mono wave at 16 kHz -> (T // 15360, 128) embeddings, one per 0.96 s example."""
        return self.embed_examples(self.front_end(wave))

    def forward(self, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        clips = torch.stack([self.frame_embeddings(w).mean(dim=0) for w in wave])
        return clips.new_zeros((clips.shape[0], 0)), clips


def load_vggish(path: str | Path, pca_path: str | Path | None = None) -> Vggish:
    """Load ``vggish-*.pth`` (the torch port's state dict) strictly, plus optional PCA parameters.

    Args:
        path: the weights file, or a folder holding one ``vggish*.pth`` and optionally one
            ``vggish_pca_params*.pth``.
        pca_path: the PCA parameters (None: raw 128-d embeddings, as av-benchmark's FD_VGG uses).

    Returns:
        A :class:`Vggish` in eval mode, frozen: 16 kHz waves -> one (128,) embedding per 0.96 s
        example (``frame_embeddings``), their mean per clip in ``forward``.

    Raises:
        CheckpointError: a missing, ambiguous or unreadable file, a mismatched tensor, or PCA
            parameters of the wrong keys or shapes.

    Source: VGGish, Hershey et al. 2017 ("CNN Architectures for Large-Scale Audio Classification").
    """
    from genav.checkpoint import load_state_strict
    from genav.eval.classifiers.state_dicts import read_state_dict

    path = Path(path)
    if path.is_dir():
        weights = [p for p in sorted(path.glob("vggish*.pth")) if "pca" not in p.name]
        pcas = sorted(path.glob("vggish_pca_params*.pth"))
        if len(weights) != 1 or len(pcas) > 1:
            raise CheckpointError(
                f"{path}: expected one vggish*.pth (and at most one vggish_pca_params*.pth)"
            )
        path, pca_path = weights[0], (pca_path or (pcas[0] if pcas else None))
    model = Vggish()
    load_state_strict(model, read_state_dict(path, "VGGish"), source=str(path))
    if pca_path is not None:
        pca = read_state_dict(Path(pca_path), "VGGish PCA", allow_arrays=True)
        missing = [k for k in ("pca_eigen_vectors", "pca_means") if k not in pca]
        if missing:
            raise CheckpointError(f"{pca_path}: missing keys {missing} (expected the VGGish PCA parameters)")
        vectors = torch.as_tensor(np.asarray(pca["pca_eigen_vectors"]), dtype=torch.float32)
        means = torch.as_tensor(np.asarray(pca["pca_means"]), dtype=torch.float32).reshape(-1)
        if vectors.shape != (EMBED_DIM, EMBED_DIM) or means.shape != (EMBED_DIM,):
            raise CheckpointError(
                f"{pca_path}: PCA shapes {tuple(vectors.shape)} / {tuple(means.shape)}, expected (128, 128) / (128,)"
            )
        model.pca_eigen_vectors, model.pca_means = vectors, means
    for p in model.parameters():
        p.requires_grad_(False)
    log.info("loaded VGGish from %s (PCA post-processing: %s)", path, model.postprocess)
    return model.eval()
