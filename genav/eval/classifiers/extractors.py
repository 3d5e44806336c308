"""The av-benchmark feature extractors behind the classifier interface, told apart by their files.

- PaSST-S ``.pt`` (state dict with ``patch_embed.proj.weight``): 527 AudioSet logits + 768-d
  embedding at 32 kHz (KL_PaSST, FD_PaSST, IS_PaSST).
- VGGish ``.pth`` (``features.0.weight`` + ``embeddings.0.weight``) or a folder with it and the
  PCA parameters: 128-d embeddings at 16 kHz, one per 0.96 s (FD_VGG).
- CLAP folder (``config.json`` with ``model_type: clap``): L2-normalised audio embeddings, CLAP
  text-audio score (T2A).
- CNN14 ``.pth`` (a dict with ``model``): handled by :mod:`genav.eval.classifiers.cnn14`.

Synchformer (DeSync) takes video and audio, so it is not an audio classifier: see
:mod:`genav.eval.classifiers.synchformer`. ImageBind (IB-score) is not available: see :data:`UNAVAILABLE`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from genav.errors import CheckpointError
from genav.eval.classifiers.base import AudioClassifier, ClassifierInfo

__all__ = ["UNAVAILABLE", "detect_kind", "load_extractor_file", "load_extractor_folder"]

UNAVAILABLE = {
    "imagebind": "IB-score needs ImageBind; its packages (imagebind 0.0.1.dev0, 2023, unmaintained; "
    "imagebind-unofficial 0.1.1, 2026, a re-upload of the same code) require torchaudio, torchvision and "
    "pytorchvideo builds that do not match this torch, so IB-score is not computed",
}


def detect_kind(path: Path) -> str:
    """ "cnn14", "passt" or "vggish" from a checkpoint's keys (read safely)."""
    from genav.eval.classifiers.state_dicts import read_state_dict

    try:
        state = read_state_dict(path, "extractor")
    except CheckpointError:
        return "cnn14"  # the CNN14 loader reads its {"model": ...} dict and names what is wrong
    if "patch_embed.proj.weight" in state:
        return "passt"
    if "features.0.weight" in state and "embeddings.0.weight" in state:
        return "vggish"
    return "cnn14"


def load_extractor_file(path: Path, load_cnn14: Callable[[Path], AudioClassifier]) -> AudioClassifier:
    """An AudioClassifier for a checkpoint file of any supported kind."""
    kind = detect_kind(path)
    if kind == "passt":
        return _load_passt(path)
    if kind == "vggish":
        return _load_vggish(path)
    return load_cnn14(path)


def load_extractor_folder(folder: Path) -> AudioClassifier | None:
    """A CLAP or VGGish folder as an AudioClassifier; None for any other folder."""
    from genav.eval.classifiers.clap import is_clap_folder

    if is_clap_folder(folder):
        return _load_clap(folder)
    if any(p for p in folder.glob("vggish*.pth") if "pca" not in p.name):
        return _load_vggish(folder)
    return None


def _checksum(path: Path) -> str:
    from genav.checkpoint import file_checksum

    if path.is_file():
        return file_checksum(path)
    files = sorted(p for p in path.iterdir() if p.suffix in (".safetensors", ".bin", ".pth"))
    return "+".join(file_checksum(p) for p in files)


def _load_passt(path: Path) -> AudioClassifier:
    from genav.eval.classifiers.passt import MIN_SAMPLES, SAMPLE_RATE, load_passt

    model = load_passt(path)
    info = ClassifierInfo(
        name="passt-s", family="passt", sample_rate=SAMPLE_RATE, num_classes=int(model.head[1].out_features),
        embedding_dim=int(model.cls_token.shape[-1]), source=str(path), checksum=_checksum(path),
        min_samples=MIN_SAMPLES,
    )  # fmt: skip
    return AudioClassifier(model, info)


def _load_vggish(path: Path) -> AudioClassifier:
    from genav.eval.classifiers.vggish import EMBED_DIM, MIN_SAMPLES, SAMPLE_RATE, load_vggish

    model = load_vggish(path)
    info = ClassifierInfo(
        name="vggish-pca" if model.postprocess else "vggish", family="vggish", sample_rate=SAMPLE_RATE,
        num_classes=0, embedding_dim=EMBED_DIM, source=str(path), checksum=_checksum(path), min_samples=MIN_SAMPLES,
    )  # fmt: skip
    return AudioClassifier(model, info)


def _load_clap(folder: Path) -> AudioClassifier:
    from genav.eval.classifiers.clap import load_clap

    model = load_clap(folder)
    info = ClassifierInfo(
        name=f"clap:{folder.name}", family="clap", sample_rate=model.sample_rate, num_classes=0,
        embedding_dim=model.embedding_dim, source=str(folder), checksum=_checksum(folder), min_samples=1,
    )  # fmt: skip
    return AudioClassifier(model, info)
