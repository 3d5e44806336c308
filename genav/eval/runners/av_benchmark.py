"""The av-benchmark metric set (MMAudio-style V2A tables, T2A CLAP score) from local checkpoints.

Each metric runs when its checkpoint is given and is otherwise listed as skipped, with why:

| metric | extractor | definition |
|---|---|---|
| KL_PANNs, FD_PANNs, ISc_PANNs | CNN14 16 kHz | ``panns16k-softmax`` KLD; FD of 2048-d; IS of logits |
| KL_PaSST, FD_PaSST, ISc_PaSST | PaSST-S | ``passt-softmax`` KLD (10 s, 32 kHz); FD of 768-d; IS of logits |
| FD_VGG | VGGish (no PCA) | FD over all 0.96 s example embeddings of all clips |
| CLAP score | CLAP folder | mean cosine(audio, caption) of the generated items |
| DeSync | Synchformer | mean abs offset (s) of the first and last 4.8 s, 8 s read (see :mod:`~genav.eval.runners.desync`) |
| IB-score | ImageBind | not available (see ``extractors.UNAVAILABLE``) |
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from genav.data.manifest import iter_manifest_rows
from genav.errors import InputError
from genav.eval.classifiers.extractors import UNAVAILABLE
from genav.eval.classifiers.registry import AudioClassifier, load_classifier
from genav.eval.metrics.frechet import frechet_distance
from genav.eval.runners.audio_items import collect_items, guarded, prepared_waves
from genav.eval.runners.audio_metrics import FEATURE_PREP, evaluate_fad, evaluate_is, evaluate_kld
from genav.eval.runners.audio_prep import Preparation

log = logging.getLogger(__name__)

__all__ = ["evaluate_av_benchmark", "read_captions"]

PASST_PREP = Preparation(channels="mean", remove_dc=True, exact_seconds=10.0)


def _row(
    name: str, value: Any, n: Any, extractor: str | None, comparable: bool | None, error: Any = None
) -> dict:
    return {"name": name, "score": value, "n": n, "extractor": extractor,
            "comparable_to_published": comparable, "error": error, "skipped": None}  # fmt: skip


def _skipped(name: str, why: str) -> dict:
    return {"name": name, "score": None, "n": None, "extractor": None, "comparable_to_published": None,
            "error": None, "skipped": why}  # fmt: skip


def _problems(report: dict[str, Any]) -> str | None:
    bad = [r for r in report.get("items", []) if r.get("error")]
    return f"{len(bad)} item(s) failed or unpaired" if bad else report.get("value_error")


def _classifier_rows(
    tag: str, clf: AudioClassifier, ref: Path, gen: Path, variant: str, workers: int
) -> list[dict]:
    kld = evaluate_kld(ref, gen, variant=variant, classifier=clf, workers=workers)
    duration = 10.0 if clf.info.family == "passt" else None  # PaSST sees 10 s; CNN14 the whole clip
    fad = evaluate_fad(ref, gen, classifier=clf, duration=duration, workers=workers)
    inception = evaluate_is(gen, classifier=clf, duration=duration, workers=workers)
    comparable, name = kld["comparable_to_published"], clf.info.name
    return [
        _row(f"KL_{tag}", kld["mean"], kld["n_pairs"], name, comparable, _problems(kld)),
        _row(f"FD_{tag}", fad["value"], fad["n_gen"], name, comparable, _problems(fad)),
        _row(f"ISc_{tag}", inception["mean"], inception["n_items"], name, comparable, _problems(inception)),
    ]


def _vggish_frames(folder: Path, clf: AudioClassifier, workers: int) -> tuple[np.ndarray, list[str]]:
    items = collect_items(folder)
    loaded = prepared_waves(items, FEATURE_PREP, clf.sample_rate, workers)
    frames, errors = [], []
    import torch

    for item, (wave, error) in zip(items, loaded, strict=True):
        error = error or (clf.too_short(wave) if wave is not None else None)
        if error or wave is None:
            errors.append(f"{item.name}: {error}")
            continue
        with torch.inference_mode():
            frames.append(clf.model.frame_embeddings(torch.from_numpy(wave)).numpy())
    return (np.concatenate(frames) if frames else np.zeros((0, 128))), errors


def _fd_vgg(clf: AudioClassifier, ref: Path, gen: Path, workers: int) -> dict:
    ref_frames, ref_err = _vggish_frames(ref, clf, workers)
    gen_frames, gen_err = _vggish_frames(gen, clf, workers)
    value, error = guarded(lambda: frechet_distance(ref_frames, gen_frames))
    problems = ref_err + gen_err
    comparable = not clf.model.postprocess  # av-benchmark uses the raw embeddings
    problem = error or ("; ".join(problems) or None)
    return _row("FD_VGG", value, len(gen_frames), clf.info.name, comparable, problem)


def _desync(path: Path, ref: Path, gen: Path, device: str) -> dict:
    from genav.eval.classifiers.synchformer import load_synchformer
    from genav.eval.runners.desync import evaluate_desync

    report = evaluate_desync(ref, gen, load_synchformer(path, device=device))
    failed = [f"{r['name']}: {r['error']}" for r in report["items"] if r.get("error")]
    # comparable None: genav's Synchformer has not been run against the released weights' own outputs
    row = _row("DeSync", report["mean"], report["n_items"], "synchformer", None, "; ".join(failed) or None)
    return {"row": row, "items": report["items"]}


def read_captions(gen: Path, captions: Path | None) -> dict[str, str]:
    """Captions by item name, for the CLAP score.

    Args:
        gen: the folder of generated items.
        captions: a ``.jsonl``/``.csv`` with ``name`` (or ``file``) and ``caption`` (or ``prompt``)
            per row; None: each generated item's sidecar ``<file>.json`` ``prompt`` (genav's outputs).

    Returns:
        ``{item name: caption}`` (items without a caption are left out).

    Raises:
        DataError: a missing or malformed captions file. InputError: a row without name or caption.

    Source: none (input handling).
    """
    found: dict[str, str] = {}
    if captions is not None:
        for i, row in iter_manifest_rows(captions):
            name = row.get("name") or (Path(row["file"]).stem if row.get("file") else None)
            text = row.get("caption") or row.get("prompt")
            if not name or not text:
                raise InputError(
                    f"{captions} row {i}: a caption row needs 'name' (or 'file') and 'caption' (or 'prompt')"
                )
            found[str(name)] = str(text)
        return found
    for item in collect_items(gen):
        sidecar = item.path.with_name(item.path.name + ".json") if item.path else None
        if sidecar is not None and sidecar.is_file():
            prompt = json.loads(sidecar.read_text(encoding="utf-8")).get("prompt")
            if isinstance(prompt, str) and prompt.strip():
                found[item.name] = prompt
    return found


def _clap_score(clf: AudioClassifier, gen: Path, captions: Path | None, workers: int) -> dict:
    from genav.eval.classifiers.clap import clap_scores

    texts = read_captions(gen, captions)
    items = [i for i in collect_items(gen) if i.name in texts]
    if not items:
        return _skipped(
            "CLAP score", "no captions: give --captions FILE.jsonl or generate with genav (sidecar prompts)"
        )
    loaded = prepared_waves(items, FEATURE_PREP, clf.sample_rate, workers)
    ok = [(i, w) for i, (w, e) in zip(items, loaded, strict=True) if w is not None]
    scores = clap_scores(clf.model, [w for _, w in ok], [texts[i.name] for i, _ in ok])
    failed = len(items) - len(ok)
    return _row("CLAP score", float(scores.mean()) if len(scores) else None, len(ok), clf.info.name, True,
                f"{failed} item(s) unreadable" if failed else None)  # fmt: skip


def evaluate_av_benchmark(
    ref_dir: str | Path,
    gen_dir: str | Path,
    *,
    cnn14: str | Path | None = None,
    passt: str | Path | None = None,
    vggish: str | Path | None = None,
    clap: str | Path | None = None,
    synchformer: str | Path | None = None,
    captions: str | Path | None = None,
    workers: int = 2,
    device: str = "cpu",
) -> dict[str, Any]:
    """Every av-benchmark metric whose checkpoint is given; the others are rows with ``skipped``.

    Args:
        ref_dir / gen_dir: folders of reference and generated audio (or video) items, paired by stem.
        cnn14: an official CNN14 16 kHz ``.pth`` (KL/FD/ISc_PANNs). passt: a PaSST-S ``.pt``
            (KL/FD/ISc_PaSST). vggish: a VGGish ``.pth`` or folder (FD_VGG). clap: a CLAP folder
            (CLAP score). synchformer: Synchformer's ``synchformer_state_dict.pth`` (DeSync; the
            picture comes from the generated video or else the reference one). Each None: that
            metric is skipped, with why.
        captions: captions for the CLAP score (see :func:`read_captions`).
        workers: reading threads. device: where Synchformer runs (the other extractors run on the CPU).

    Returns:
        Keys: metric ("av-benchmark"), ref_dir, gen_dir, items (one row per metric: name, score, n,
        extractor, comparable_to_published, error, skipped), desync_items (per clip, with
        ``synchformer``), n_computed, n_skipped, versions.

    Raises:
        InputError: a folder is missing or holds no audio/video file, or a bad captions row.
        CheckpointError: a checkpoint that cannot be loaded or does not match.

    Source: av-benchmark (the MMAudio evaluation suite, Cheng et al. 2025): KLD as there, FD/FAD
    (Kilgour et al. 2019), IS (Salimans et al. 2016), CLAP score (Elizalde et al. 2023).
    """
    from genav.eval.runners.report import versions

    ref, gen = Path(ref_dir), Path(gen_dir)
    rows: list[dict] = []
    for tag, path, variant in (("PANNs", cnn14, "panns16k-softmax"), ("PaSST", passt, "passt-softmax")):
        if path is None:
            flag = "--cnn14" if tag == "PANNs" else "--passt"
            rows += [_skipped(f"{m}_{tag}", f"no {flag} checkpoint given") for m in ("KL", "FD", "ISc")]
        else:
            rows += _classifier_rows(tag, load_classifier(path), ref, gen, variant, workers)
    rows.append(
        _fd_vgg(load_classifier(vggish), ref, gen, workers)
        if vggish
        else _skipped("FD_VGG", "no --vggish checkpoint given")
    )
    if clap is None:
        rows.append(_skipped("CLAP score", "no --clap folder given"))
    else:
        rows.append(_clap_score(load_classifier(clap), gen, Path(captions) if captions else None, workers))
    desync_items = None
    if synchformer is None:
        rows.append(_skipped("DeSync", "no --synchformer checkpoint given"))
    else:
        desync = _desync(Path(synchformer), ref, gen, device)
        desync_items = desync["items"]
        rows.append(desync["row"])
    rows.append(_skipped("IB-score", UNAVAILABLE["imagebind"]))
    return {
        "metric": "av-benchmark",
        "ref_dir": str(ref),
        "gen_dir": str(gen),
        "items": rows,
        "desync_items": desync_items,
        "n_computed": sum(1 for r in rows if r["score"] is not None),
        "n_skipped": sum(1 for r in rows if r["skipped"]),
        "versions": versions(),
    }
