"""Audio classifiers behind one interface: waves in, (logits, embeddings) out, with a description.

``genav-tagger`` (the default, trained here, offline), an official PANNs CNN14 ``.pth`` (16 kHz or
32 kHz, told apart by its STFT weight shape), a PaSST-S ``.pt``, a VGGish ``.pth`` (or a folder with
its PCA parameters) or a ``transformers`` CLAP folder, each told apart by its keys. Every result
names the classifier and says whether its numbers can be compared with published tables.
Extractors without class outputs (VGGish, CLAP) have ``num_classes == 0``: they serve FD, not KLD/IS.
"""

from __future__ import annotations

import logging
from pathlib import Path

from genav.errors import CheckpointError, UnknownModelError
from genav.eval.classifiers.base import AudioClassifier, ClassifierInfo
from genav.eval.classifiers.extractors import load_extractor_file, load_extractor_folder

log = logging.getLogger(__name__)

DEFAULT_CLASSIFIER = "genav-tagger"


def load_classifier(name_or_path: str | Path | None = None) -> AudioClassifier:
    """Load the audio classifier an evaluation uses, by name or path.

    Args:
        name_or_path: ``genav-tagger`` (default, None), a tagger folder, an official CNN14 ``.pth``
            (or a folder holding exactly one), a PaSST ``.pt``, a VGGish ``.pth`` / folder, or a CLAP
            folder (see :mod:`genav.eval.classifiers.extractors`).

    Returns:
        An :class:`AudioClassifier`: the model, its sample rate and its info (name, family, checksum,
        classes, embedding size).

    Raises:
        CheckpointError: a folder or file that is not a known classifier, or weights that do not match.
        UnknownModelError: a name that is neither a known classifier nor a path.

    Source: the classifiers' papers: PANNs (Kong et al. 2020), PaSST (Koutini et al. 2022), VGGish
    (Hershey et al. 2017), CLAP (Elizalde et al. 2023); genav-tagger is genav's own.
    """
    text = str(name_or_path or DEFAULT_CLASSIFIER)
    path = Path(text)
    if path.is_file():
        return load_extractor_file(path, _load_cnn14)
    if path.is_dir():
        found = load_extractor_folder(path)
        if found is not None:
            return found
        if (path / "config.json").exists():
            return _load_tagger(path)
        pths = sorted(path.glob("*.pth"))
        if len(pths) == 1:
            return _load_cnn14(pths[0])
        raise CheckpointError(
            f"{path}: expected a tagger folder (config.json) or exactly one CNN14 .pth, found {len(pths)} .pth"
        )
    if text == DEFAULT_CLASSIFIER:
        from genav.registry import resolve_model

        entry = resolve_model(text)
        if entry.path is None or not entry.path.is_dir():
            raise CheckpointError(f"{text} has no model folder", hint="train it: genav train tagger")
        return _load_tagger(entry.path)
    raise UnknownModelError(
        f"unknown classifier {text!r}",
        hint="use genav-tagger, a path to an official CNN14 .pth (16 or 32 kHz), PaSST .pt, VGGish .pth, "
        "a CLAP folder or a tagger folder",
    )


def _load_tagger(folder: Path) -> AudioClassifier:
    from genav.checkpoint import file_checksum
    from genav.eval.classifiers.tagger import load_tagger

    model = load_tagger(folder)
    cfg = model.config
    info = ClassifierInfo(
        name=cfg.name,
        family="genav-tagger",
        sample_rate=cfg.sample_rate,
        num_classes=len(cfg.classes),
        embedding_dim=cfg.embedding_dim,
        source=str(folder),
        checksum=file_checksum(folder / "model.safetensors"),
        min_samples=1,  # the tagger pads short clips itself
        preprocessing="" if cfg.trim_db is None else f"cut to the sounding part (edge 10 ms frames > {cfg.trim_db:g} dB below the loudest)",
    )
    return AudioClassifier(model, info)


def _load_cnn14(path: Path) -> AudioClassifier:
    from genav.checkpoint import file_checksum
    from genav.eval.classifiers.cnn14 import NUM_AUDIOSET_CLASSES, load_cnn14

    model = load_cnn14(path)
    spec = model.spec
    info = ClassifierInfo(
        name=f"cnn14-{spec.sample_rate // 1000}k",
        family="cnn14",
        sample_rate=spec.sample_rate,
        num_classes=NUM_AUDIOSET_CLASSES,
        embedding_dim=2048,
        source=str(path),
        checksum=file_checksum(path),
        # five 2x time poolings need >= 32 frames: (32 - 1) * hop samples with centred frames
        min_samples=31 * spec.hop,
    )
    return AudioClassifier(model, info)
