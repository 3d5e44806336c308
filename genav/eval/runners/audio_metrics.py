"""Folder-level classifier metrics: KLD (paired by name), FD/FAD and IS, as report dicts.

Items are files named ``<stem>.<ext>`` in a folder; a reference and a generated item pair when
their stems match. Unpaired, unreadable or too-short items are rows with an ``error`` in the
report (never silently dropped) and are counted in ``n_unpaired`` / ``n_failed``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError
from genav.eval.classifiers.registry import AudioClassifier, load_classifier
from genav.eval.metrics.frechet import frechet_distance
from genav.eval.metrics.inception import inception_score
from genav.eval.metrics.kld import kl_divergence, kl_per_pair
from genav.eval.runners.audio_items import (
    VIDEO_SUFFIXES,
    Item,
    collect_items,
    guarded,
    parallel_items,
    prepared_waves,
    read_item,
)
from genav.eval.runners.audio_prep import Preparation, prepare_audio
from genav.eval.runners.kld_variants import KldVariant, get_variant
from genav.eval.runners.report import versions

log = logging.getLogger(__name__)

# FD and IS: the av-benchmark preparation (channel mean, DC removed); a length cap only if asked.
FEATURE_PREP = Preparation(channels="mean", remove_dc=True)


def _read_side(item: Item, side: str) -> tuple[np.ndarray, int]:
    loaded, error = guarded(lambda: read_item(item))
    if error or loaded is None:
        raise InputError(f"{side}: {error}")
    return loaded


def _prepare_pair(ref: Item, gen: Item, spec: KldVariant, rate: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Both sides prepared; with ``spec.same_length`` both are first cut to the shorter clip."""
    (r_wave, r_sr), (g_wave, g_sr) = _read_side(ref, "reference"), _read_side(gen, "generated")
    if spec.same_length:
        seconds = min(r_wave.shape[1] / r_sr, g_wave.shape[1] / g_sr)
        r_wave, g_wave = r_wave[:, : int(round(seconds * r_sr))], g_wave[:, : int(round(seconds * g_sr))]
    return prepare_audio(r_wave, r_sr, spec.prep, rate), prepare_audio(g_wave, g_sr, spec.prep, rate)


def _length_error(waves: list[np.ndarray], clf: AudioClassifier) -> str | None:
    if not waves:
        return "no segment longer than the minimum"
    return next((p for p in (clf.too_short(w) for w in waves) if p), None)


def _header(metric: str, clf: AudioClassifier) -> dict[str, Any]:
    import torch

    out: dict[str, Any] = {
        "metric": metric,
        "classifier": clf.info.name,
        "classifier_info": clf.info.to_dict(),
        "sample_rate": clf.sample_rate,
        "versions": {**versions(), "torch": torch.__version__},
    }
    if clf.info.family == "genav-tagger":
        out["note"] = "genav-tagger is genav's own small offline classifier: not comparable with published tables"
    if metric in ("fad", "is"):
        # published FD-PANN / ISC-PANNS use CNN14 (and their own clip length: pass the same --duration)
        out["comparable_to_published"] = clf.info.family == "cnn14"
    return out


def _classifier(classifier: str | Path | AudioClassifier | None) -> AudioClassifier:
    return classifier if isinstance(classifier, AudioClassifier) else load_classifier(classifier)


def evaluate_kld(
    ref_dir: str | Path,
    gen_dir: str | Path,
    *,
    variant: str = "panns16k-softmax",
    classifier: str | Path | AudioClassifier | None = None,
    workers: int = 2,
) -> dict[str, Any]:
    """KL(reference || generated) of classifier outputs over items paired by name, as a report dict.

    Args:
        ref_dir / gen_dir: folders of audio (or video) files; ``<stem>.*`` items pair by stem.
        variant: a published recipe of :data:`~genav.eval.runners.kld_variants.KLD_VARIANTS`
            (formula, preparation, classifier rate).
        classifier: a loaded classifier or a name/path for :func:`load_classifier` (default
            genav-tagger). workers: reading threads.

    Returns:
        Keys: metric, variant, variant_info, classifier, classifier_info, comparable_to_published,
        sample_rate, versions, items [{name, score, n_segments, error}], mean (over all pairs, a
        segmented variant counting each segment; None when no pair is usable), n_pairs, n_items,
        n_failed, n_unpaired, unpaired. Bad or unpaired items are rows with an error.

    Raises:
        InputError: a folder is missing or holds no audio/video file, or an unknown variant.
        CheckpointError / UnknownModelError: the classifier cannot be loaded.

    Source: KLD as in AudioLDM's ``audioldm_eval`` (Liu et al., 2023) and av-benchmark (MMAudio,
    Cheng et al., 2025): :func:`~genav.eval.metrics.kld.kl_divergence`.
    """
    spec = get_variant(variant)
    clf = _classifier(classifier)
    refs = {i.name: i for i in collect_items(ref_dir)}
    gens = {i.name: i for i in collect_items(gen_dir)}
    paired = sorted(set(refs) & set(gens))
    loaded = parallel_items(lambda n: _prepare_pair(refs[n], gens[n], spec, clf.sample_rate), paired, workers)
    rows: list[dict[str, Any]] = []
    ref_list: list[np.ndarray] = []
    gen_list: list[np.ndarray] = []
    owners: list[int] = []
    for name, (pair, error) in zip(paired, loaded, strict=True):
        if pair is not None:
            error = _length_error(pair[0], clf)
            error = f"reference: {error}" if error else _side("generated", _length_error(pair[1], clf))
        if error or pair is None:
            rows.append({"name": name, "score": None, "n_segments": 0, "error": error})
            continue
        n = min(len(pair[0]), len(pair[1]))  # equal unless a segment was dropped on one side only
        ref_list += pair[0][:n]
        gen_list += pair[1][:n]
        owners += [len(rows)] * n
        rows.append({"name": name, "score": None, "n_segments": n, "error": None})
    mean = _score_pairs(clf, ref_list, gen_list, owners, rows, spec.eps) if ref_list else None
    unpaired = {"ref_only": sorted(set(refs) - set(gens)), "gen_only": sorted(set(gens) - set(refs))}
    rows += [_unpaired_row(n, "no generated item") for n in unpaired["ref_only"]]
    rows += [_unpaired_row(n, "no reference item") for n in unpaired["gen_only"]]
    report = _header("kld", clf)
    report.update(
        variant=spec.name,
        variant_info=spec.describe(),
        comparable_to_published=clf.info.family == spec.reference_family and clf.sample_rate in spec.reference_rates,
        ref_dir=str(ref_dir),
        gen_dir=str(gen_dir),
        items=rows,
        mean=mean,
        n_pairs=len(ref_list),
        n_items=sum(1 for r in rows if r["score"] is not None),
        n_failed=sum(1 for r in rows if r["error"] and not r["error"].startswith("unpaired")),
        n_unpaired=len(unpaired["ref_only"]) + len(unpaired["gen_only"]),
        unpaired=unpaired,
    )
    return report


def _score_pairs(
    clf: AudioClassifier,
    ref_list: list[np.ndarray],
    gen_list: list[np.ndarray],
    owners: list[int],
    rows: list[dict[str, Any]],
    eps: float | None,
) -> float:
    """Classify both sides, write each row's score (mean over its segments); returns the dataset mean."""
    ref_logits, _ = clf.classify(ref_list)
    gen_logits, _ = clf.classify(gen_list)
    per = np.asarray(kl_per_pair(ref_logits, gen_logits, eps=eps))
    for row_index in sorted(set(owners)):
        rows[row_index]["score"] = float(per[np.asarray(owners) == row_index].mean())
    return kl_divergence(ref_logits, gen_logits, eps=eps)


def _side(side: str, error: str | None) -> str | None:
    return f"{side}: {error}" if error else None


def _unpaired_row(name: str, why: str) -> dict[str, Any]:
    return {"name": name, "score": None, "n_segments": 0, "error": f"unpaired: {why}"}


def _features(
    folder: str | Path, clf: AudioClassifier, prep: Preparation, set_name: str, workers: int
) -> tuple[list[dict[str, Any]], list[str], np.ndarray, np.ndarray]:
    """Rows, names, logits (N, C) and embeddings (N, D) of the readable items of a folder."""
    items = collect_items(folder)
    loaded = prepared_waves(items, prep, clf.sample_rate, workers)
    rows, names, waves = [], [], []
    for item, (wave, error) in zip(items, loaded, strict=True):
        error = error or (clf.too_short(wave) if wave is not None else None)
        rows.append({"name": item.name, "set": set_name, "error": error})
        if not error:
            names.append(item.name)
            waves.append(wave)
    if not waves:
        return rows, names, np.zeros((0, clf.info.num_classes)), np.zeros((0, clf.info.embedding_dim))
    logits, embeds = clf.classify(waves)
    return rows, names, logits, embeds


def _feature_prep(duration: float | None) -> Preparation:
    return FEATURE_PREP if duration is None else Preparation(channels="mean", remove_dc=True, max_seconds=duration)


def evaluate_fad(
    ref_dir: str | Path,
    gen_dir: str | Path,
    *,
    classifier: str | Path | AudioClassifier | None = None,
    duration: float | None = None,
    workers: int = 2,
) -> dict[str, Any]:
    """Fréchet distance between the classifier embeddings of two folders (not paired).

    Args:
        ref_dir / gen_dir: folders of audio (or video) files.
        classifier: a loaded classifier or a name/path for :func:`load_classifier` (default
            genav-tagger); its (D,) clip embedding is used.
        duration: cut each clip to at most this many seconds first (None: whole clips).
        workers: reading threads.

    Returns:
        Keys: metric, value (None when not computable, with ``value_error``), classifier, embedding,
        preparation, items [{name, set, error}], n_ref, n_gen, n_failed, comparable_to_published.

    Raises:
        InputError: a folder is missing or holds no audio/video file.
        CheckpointError / UnknownModelError: the classifier cannot be loaded.

    Source: Fréchet Audio Distance, Kilgour et al. 2019 (:func:`~genav.eval.metrics.frechet.frechet_distance`).
    """
    clf = _classifier(classifier)
    prep = _feature_prep(duration)
    ref_rows, _, _, ref_emb = _features(ref_dir, clf, prep, "ref", workers)
    gen_rows, _, _, gen_emb = _features(gen_dir, clf, prep, "gen", workers)
    value, value_error = guarded(lambda: frechet_distance(ref_emb, gen_emb))
    report = _header("fad", clf)
    rows = ref_rows + gen_rows
    report.update(
        embedding=f"{clf.info.name} {clf.info.embedding_dim}-d, one per clip",
        preparation=prep.to_dict(),
        ref_dir=str(ref_dir),
        gen_dir=str(gen_dir),
        value=value,
        value_error=value_error,
        items=rows,
        n_ref=len(ref_emb),
        n_gen=len(gen_emb),
        n_failed=sum(1 for r in rows if r["error"]),
    )
    return report


def evaluate_is(
    gen_dir: str | Path,
    *,
    classifier: str | Path | AudioClassifier | None = None,
    splits: int = 10,
    duration: float | None = None,
    workers: int = 2,
) -> dict[str, Any]:
    """Inception Score of a folder's items (rows sorted by name; see :func:`inception_score`).

    Args:
        gen_dir: a folder of audio (or video) files.
        classifier: a loaded classifier or a name/path for :func:`load_classifier` (default
            genav-tagger); its (C,) logits are used.
        splits: the number of splits the score is averaged over (shuffled with seed 2020).
        duration: cut each clip to at most this many seconds first (None: whole clips).
        workers: reading threads.

    Returns:
        Keys: metric, mean, std (None when not computable, with ``value_error``), splits, seed,
        classifier, items [{name, set, top_class, error}], n_items, n_failed.

    Raises:
        InputError: the folder is missing or holds no audio/video file.
        CheckpointError / UnknownModelError: the classifier cannot be loaded.

    Source: Inception Score, Salimans et al. 2016, over audio classifiers as in
    ``audioldm_eval``/av-benchmark (:func:`~genav.eval.metrics.inception.inception_score`).
    """
    clf = _classifier(classifier)
    prep = _feature_prep(duration)
    rows, names, logits, _ = _features(gen_dir, clf, prep, "gen", workers)
    result, value_error = guarded(lambda: inception_score(logits, splits=splits, names=names))
    classes = _class_names(clf)
    top = {n: classes[int(i)] for n, i in zip(names, logits.argmax(axis=1), strict=True)}
    for row in rows:
        row["top_class"] = top.get(row["name"])
    report = _header("is", clf)
    report.update(
        preparation=prep.to_dict(),
        gen_dir=str(gen_dir),
        splits=splits,
        seed=2020,
        mean=result[0] if result else None,
        std=result[1] if result else None,
        value_error=value_error,
        items=rows,
        n_items=len(names),
        n_failed=sum(1 for r in rows if r["error"]),
    )
    return report


def _class_names(clf: AudioClassifier) -> list[str]:
    classes = getattr(getattr(clf.model, "config", None), "classes", None)
    return list(classes) if classes else [str(i) for i in range(clf.info.num_classes)]


def evaluate_all(
    ref_dir: str | Path,
    gen_dir: str | Path,
    *,
    variant: str = "panns16k-softmax",
    classifier: str | Path | AudioClassifier | None = None,
    protocol: str = "reference",
    workers: int = 2,
) -> dict[str, Any]:
    """One report: KLD, FD and IS with one classifier, plus AV-Align of the generated videos.

    Args:
        ref_dir / gen_dir: folders of audio (or video) files; items pair by stem for KLD.
        variant: the KLD recipe. classifier: a loaded classifier or a name/path (default
            genav-tagger). protocol: the AV-Align protocol (``reference`` or ``genav``).
        workers: reading threads (and AV-Align processes).

    Returns:
        Keys: metric ("all"), kld, fad, is, av_align (each a full sub-report; av_align None when the
        generated folder has no videos), items (one summary row per metric), n_failed, n_unpaired.

    Raises:
        InputError: a folder is missing or empty, an unknown variant or protocol.
        CheckpointError / UnknownModelError: the classifier cannot be loaded.

    Source: see :func:`evaluate_kld` (AudioLDM/av-benchmark), :func:`evaluate_fad` (Kilgour et al.
    2019), :func:`evaluate_is` (Salimans et al. 2016) and AV-Align (Yariv et al. 2024).
    """
    clf = _classifier(classifier)
    kld = evaluate_kld(ref_dir, gen_dir, variant=variant, classifier=clf, workers=workers)
    fad = evaluate_fad(ref_dir, gen_dir, classifier=clf, workers=workers)
    inception = evaluate_is(gen_dir, classifier=clf, workers=workers)
    comparable = kld["comparable_to_published"]
    rows = [
        _summary(f"KLD ({variant})", kld["mean"], None, kld["n_pairs"], clf, comparable, _problems(kld)),
        _summary("FD", fad["value"], None, fad["n_gen"], clf, fad["comparable_to_published"],
                 fad["value_error"] or _problems(fad)),
        _summary("IS", inception["mean"], inception["std"], inception["n_items"], clf,
                 inception["comparable_to_published"], inception["value_error"] or _problems(inception)),
    ]  # fmt: skip
    av, av_note = None, None
    if any(p.suffix.lower() in VIDEO_SUFFIXES for p in Path(gen_dir).iterdir()):
        from genav.eval.runners.av_align_dataset import evaluate_av_align

        av = evaluate_av_align([gen_dir], protocol=protocol, workers=workers)
        rows.append(_summary(f"AV-Align ({protocol})", av["mean"], None, av.get("n_scored"), None, None, _problems(av)))
    else:
        av_note = "no videos in the generated folder: AV-Align not computed"
    report = _header("all", clf)
    report.update(
        ref_dir=str(ref_dir),
        gen_dir=str(gen_dir),
        kld=kld,
        fad=fad,
        **{"is": inception},
        av_align=av,
        av_align_note=av_note,
        items=rows,
        n_failed=kld["n_failed"] + fad["n_failed"] + inception["n_failed"] + (av["n_failed"] if av else 0),
        n_unpaired=kld["n_unpaired"],
    )
    return report


def _problems(report: dict[str, Any]) -> str | None:
    failed, unpaired = report.get("n_failed", 0), report.get("n_unpaired", 0)
    parts = [f"{failed} failed"] * bool(failed) + [f"{unpaired} unpaired"] * bool(unpaired)
    return ", ".join(parts) or None


def _summary(
    name: str, score: Any, std: Any, n: Any, clf: AudioClassifier | None, comparable: bool | None, error: str | None
) -> dict[str, Any]:
    return {
        "name": name,
        "score": score,
        "std": std,
        "n": n,
        "classifier": clf.info.name if clf else None,
        "comparable_to_published": comparable,
        "error": error,
    }
