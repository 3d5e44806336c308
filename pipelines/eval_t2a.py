"""``genav eval t2a``: does a text-to-audio model follow the words? Judged by the genav tagger on sfx2 test.

For each selected test clip the model generates sound from the clip's *held-out* caption (the
caption template never used in training, :func:`genav.data.captions.held_out_caption`) at each
requested duration. The tagger then ranks the labels (top-1/top-3 over the manifest's labels) and
label-wise KLD says whether a label's generated clips are closer to real clips of that label than
to the others (:mod:`genav.eval.metrics.label_scores`). The real test clips, judged the same way, are the
ceiling. Peaks before the output gain are recorded (the codec must keep the output in range).
Generations kept with ``audio_dir`` (wavs plus :data:`KEPT_INDEX`) can be judged again later by
another classifier with :func:`rejudge_t2a`, without loading or running the model.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from genav.config import keyword_default
from genav.data.manifest import iter_manifest_rows
from genav.errors import DataError, InputError
from genav.pipelines.settings import steps_and_scale

log = logging.getLogger(__name__)

DEFAULT_MANIFEST = "../shared/data/sfx2/manifest.jsonl"
KEPT_INDEX = "generation.json"  # beside kept wavs: model, settings, items, peaks


def select_rows(rows: list[dict[str, Any]], n: int | None) -> list[dict[str, Any]]:
    """Up to ``n`` rows spread over the labels: the first row of every label (sorted), then the
    second of every label, and so on (all rows when ``n`` is None)."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_label[str(row["label"])].append(row)
    ordered, depth = [], 0
    while len(ordered) < len(rows):
        ordered += [by_label[lab][depth] for lab in sorted(by_label) if depth < len(by_label[lab])]
        depth += 1
    return ordered if n is None else ordered[:n]


def load_test_rows(manifest: str | Path, split: str) -> list[dict[str, Any]]:
    """Rows of ``split`` with a label and a file; DataError when the manifest is missing or has none."""
    path = Path(manifest)
    if not path.is_file():
        raise DataError(f"manifest not found: {path}", hint="pass --manifest (the sfx2 manifest.jsonl)")
    rows = [r for _, r in iter_manifest_rows(path) if r.get("split") == split and r.get("label") and r.get("file")]
    if not rows:
        raise DataError(f"{path} has no labelled rows of split {split!r}")
    for r in rows:
        r["_path"] = str(path.parent / r["file"])
    return rows


def _real_logits(clf: Any, rows: list[dict[str, Any]]) -> np.ndarray:
    from genav.media import read_audio

    waves = [read_audio(r["_path"], sample_rate=clf.sample_rate, mono=True).samples[0] for r in rows]
    return clf.classify(waves)[0]


@dataclass
class _Judge:
    """The classifier, the real clips' logits and the ceiling on the chosen rows; scores generations
    and assembles the report (one shape for :func:`eval_t2a` and :func:`rejudge_t2a`)."""

    manifest: str | Path
    split: str
    rows: list[dict[str, Any]]
    chosen: list[dict[str, Any]]
    clf: Any
    among: list[str]
    real_logits: np.ndarray
    ceiling: dict[str, Any]

    @classmethod
    def make(cls, manifest: str | Path, split: str, classifier: str | None,
             pick: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> _Judge:  # fmt: skip
        from genav.eval.classifiers.registry import load_classifier

        rows = load_test_rows(manifest, split)
        chosen = pick(rows)
        clf = load_classifier(classifier)
        among = sorted({str(r["label"]) for r in rows})
        missing = [lab for lab in among if lab not in clf.model.config.classes]
        if missing:
            raise DataError(f"the classifier {clf.info.name} has no class for labels {missing[:5]}",
                            hint="retrain it: genav train tagger")  # fmt: skip
        judge = cls(manifest, split, rows, chosen, clf, among, _real_logits(clf, rows), {})
        index = {id(r): i for i, r in enumerate(rows)}
        chosen_idx = [index[id(r)] for r in chosen]
        judge.ceiling = judge._scores(judge.real_logits[chosen_idx], self_index=chosen_idx)
        return judge

    @property
    def labels(self) -> list[str]:
        return [str(r["label"]) for r in self.chosen]

    def _scores(self, logits: np.ndarray, **kwargs: Any) -> dict[str, Any]:
        from genav.eval.metrics.label_scores import score_labels

        real_labels = [str(r["label"]) for r in self.rows]
        classes = list(self.clf.model.config.classes)
        return score_labels(logits, self.labels, self.real_logits, real_labels, classes, self.among, **kwargs)

    def score(self, logits: np.ndarray, peaks: list[float]) -> dict[str, Any]:
        """Scores of generated clips' ``logits`` (N, C) plus their peaks before the output gain."""
        scores = self._scores(logits)
        scores["peak_before_gain"] = {"median": float(np.median(peaks)), "max": float(np.max(peaks)),
                                      "over_4x": int(np.sum(np.asarray(peaks) > 4.0))}  # fmt: skip
        return scores

    def report(self, run: dict[str, Any], generated: dict[str, Any], started: float) -> dict[str, Any]:
        """The report of a generation ``run`` (model, model_checksum, prompts, durations, num_steps,
        guidance_scale, seed, items) whose scores per duration are ``generated``."""
        return {
            "task": "t2a", "model": run["model"], "model_checksum": run["model_checksum"],
            "classifier": self.clf.info.to_dict(), "manifest": str(self.manifest), "split": self.split,
            "n_clips": len(self.chosen), "n_labels": len({*self.labels}), "n_ranked_labels": len(self.among),
            "n_real_reference": len(self.rows),
            **{k: run[k] for k in ("prompts", "durations", "num_steps", "guidance_scale", "seed")},
            "window": run.get("window"),
            "ceiling": self.ceiling, "generated": generated, "seconds": round(time.perf_counter() - started, 1),
            "items": run["items"],
        }  # fmt: skip


def _generate(pipe: Any, clf: Any, prompts: list[str], duration: float, settings: dict[str, Any],
              audio_dir: Path | None, names: list[str]) -> tuple[np.ndarray, list[float]]:  # fmt: skip
    """Logits (N, C) of sound generated for ``prompts`` and the peak of each before the output gain."""
    from genav.media import resample
    from genav.pipelines.progress import item_bar

    logits, peaks = [], []
    batch = settings["batch"]
    for start in item_bar(range(0, len(prompts), batch), desc=f"t2a {duration:g} s", unit="batch"):
        windowing = {} if settings["window"] is None else {"window": settings["window"]}
        out = pipe(prompts[start : start + batch], duration=duration, num_steps=settings["num_steps"],
                   guidance_scale=settings["guidance_scale"], seed=settings["seed"] + start, **windowing)  # fmt: skip
        peaks += out.metadata["peak_before_gain"]
        waves = [resample(a.mean(axis=0), out.sample_rate, clf.sample_rate) for a in out.audio]
        logits.append(clf.classify(waves)[0])
        if audio_dir is not None:
            for k in range(len(out)):
                out.save(audio_dir / f"{names[start + k]}.wav", index=k, overwrite=True)
    return np.concatenate(logits), peaks


def eval_t2a(
    model: str,
    *,
    manifest: str | Path = DEFAULT_MANIFEST,
    split: str = "test",
    durations: tuple[float, ...] = (2.0, 4.0, 8.0),
    n: int | None = None,
    num_steps: int = keyword_default(25),
    guidance_scale: float = keyword_default(4.5),
    seed: int = 0,
    batch: int = 8,
    classifier: str | None = None,
    audio_dir: str | Path | None = None,
    window: float | None = None,
    **deprecated: Any,
) -> dict[str, Any]:
    """Generate from held-out captions of ``split`` and judge with the tagger (see the module doc).

    Args:
        model: a text-to-audio model name or folder.
        manifest: the labelled manifest (sfx2's ``manifest.jsonl``). split: the rows to use.
        durations: seconds of audio to generate per prompt, each > 0 (one pass each).
        n: at most this many test clips, spread over the labels (None: all).
        num_steps: solver steps. guidance_scale: classifier-free guidance scale.
        seed: the first clip's seed (batch ``k`` uses ``seed + k``). batch: prompts generated together.
        classifier: the judge (default genav-tagger, or a tagger folder).
        audio_dir: also keep the generated wavs there (``<duration>s/<clip>.wav``) and, for
            :func:`rejudge_t2a`, the run's model, settings, clips and peaks (:data:`KEPT_INDEX`).
        window: generate durations longer than this many seconds in overlapping windows (genav
            models; default the model's ``default_window``).
        **deprecated: ``steps``/``cfg``, the old names of ``num_steps``/``guidance_scale`` (warn).

    Returns:
        The report dict (JSON-ready): task, model, model_checksum, classifier, manifest, split,
        n_clips, n_labels (of the clips), n_ranked_labels (the split's labels, ranked), n_real_reference,
        durations, num_steps, guidance_scale, seed, window, ceiling (the real test clips'
        top-1/top-3 and label KLD), generated (per duration, the same scores and peaks before the
        output gain), seconds, items.

    Raises:
        InputError: no or non-positive durations.
        DataError: a missing manifest, no labelled rows of ``split``, or labels the classifier lacks.
        UnknownModelError / CheckpointError: the model or the classifier cannot be loaded.

    Source: label-wise KLD in the spirit of AudioLDM's KLD (Liu et al. 2023), top-k accuracy of a
    tagger as an audio "inception" judge (Salimans et al. 2016); the tagger is genav's own.
    """
    from genav.data.captions import held_out_caption
    from genav.pipelines.auto import AutoTextToAudioPipeline

    num_steps, guidance_scale = steps_and_scale(deprecated, "eval_t2a", num_steps, guidance_scale)
    if not durations or any(d <= 0 for d in durations):
        raise InputError(f"durations must be positive seconds, got {durations}")
    started = time.perf_counter()
    judge = _Judge.make(manifest, split, classifier, lambda rows: select_rows(rows, n))
    pipe = AutoTextToAudioPipeline.from_pretrained(model)
    window = getattr(pipe, "default_window", None) if window is None else window  # what was used, for the report
    prompts = [held_out_caption(r) or str(r.get("caption", r["label"])) for r in judge.chosen]
    names = [Path(r["file"]).stem for r in judge.chosen]
    settings = {"num_steps": num_steps, "guidance_scale": guidance_scale, "seed": seed, "batch": batch, "window": window}
    generated, all_peaks = {}, {}
    for d in durations:
        folder = None
        if audio_dir is not None:
            folder = Path(audio_dir) / f"{d:g}s"
            folder.mkdir(parents=True, exist_ok=True)
        logits, peaks = _generate(pipe, judge.clf, prompts, d, settings, folder, names)
        generated[f"{d:g}"], all_peaks[f"{d:g}"] = judge.score(logits, peaks), [float(x) for x in peaks]
    run = {
        "model": pipe.model_name, "model_checksum": pipe.checksum,
        "prompts": "held-out caption template (genav.data.captions.held_out_caption)",
        "durations": list(durations), "num_steps": num_steps, "guidance_scale": guidance_scale, "seed": seed,
        "window": window, "items": [{"name": nm, "label": lab, "prompt": p}
                  for nm, lab, p in zip(names, judge.labels, prompts, strict=True)],
    }  # fmt: skip
    if audio_dir is not None:
        from genav.atomic import atomic_write_text

        atomic_write_text(Path(audio_dir) / KEPT_INDEX, json.dumps({**run, "peak_before_gain": all_peaks}, indent=1))
    return judge.report(run, generated, started)


def rejudge_t2a(
    audio_dir: str | Path,
    *,
    manifest: str | Path = DEFAULT_MANIFEST,
    split: str = "test",
    classifier: str | None = None,
) -> dict[str, Any]:
    """Judge the wavs an :func:`eval_t2a` run kept in ``audio_dir`` again (e.g. by a retrained tagger).

    Reads ``audio_dir/generation.json`` (the model, settings, clips and peaks of that run) and
    ``audio_dir/<duration>s/<clip>.wav``; the model is neither loaded nor run. Returns a report of
    :func:`eval_t2a`'s shape (``rejudged_from`` names the folder); with the same classifier it
    equals that run's report (``seconds`` aside).

    Raises:
        DataError: no index in ``audio_dir``, a kept wav missing, a clip not in ``split`` of the
            manifest, or labels the classifier lacks.
    """
    from genav.media import read_audio

    started = time.perf_counter()
    folder = Path(audio_dir)
    index_path = folder / KEPT_INDEX
    if not index_path.is_file():
        raise DataError(f"no {KEPT_INDEX} in {folder}",
                        hint="pass the audio folder of a `genav eval t2a --keep-audio` run")  # fmt: skip
    kept = json.loads(index_path.read_text())
    names = [it["name"] for it in kept["items"]]

    def pick(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        by_name = {Path(r["file"]).stem: r for r in rows}
        absent = [nm for nm in names if nm not in by_name]
        if absent:
            raise DataError(f"kept clips not in split {split!r} of {manifest}: {absent[:3]}")
        return [by_name[nm] for nm in names]

    judge = _Judge.make(manifest, split, classifier, pick)
    generated = {}
    for d in kept["durations"]:
        paths = [folder / f"{d:g}s" / f"{nm}.wav" for nm in names]
        missing = [str(q) for q in paths if not q.is_file()]
        if missing:
            raise DataError(f"{len(missing)} kept wavs missing, e.g. {missing[0]}")
        waves = [read_audio(q, sample_rate=judge.clf.sample_rate, mono=True).samples[0] for q in paths]
        generated[f"{d:g}"] = judge.score(judge.clf.classify(waves)[0], kept["peak_before_gain"][f"{d:g}"])
    return {**judge.report(kept, generated, started), "rejudged_from": str(folder)}


def _f(x: Any, digits: int = 3) -> str:
    return "-" if x is None else (f"{x:.{digits}f}" if isinstance(x, float) else str(x))


def t2a_markdown(report: dict[str, Any]) -> str:
    """The report as markdown: a summary (ceiling and each duration) and a per-label table."""
    durs = list(report["generated"])
    windows = "" if report.get("window") is None else f", windows of {report['window']:g} s"
    lines = [
        f"# genav eval t2a: {report['model']} ({report['model_checksum']})",
        "",
        f"{report['n_clips']} clips of split `{report['split']}` of `{report['manifest']}` ({report['n_labels']} labels), "
        f"prompts: {report['prompts']}; {report['num_steps']} steps, CFG {report['guidance_scale']:g}, seed {report['seed']}{windows}; judge: "
        f"{report['classifier']['name']} ({report['classifier']['checksum']}), labels ranked among "
        f"{report.get('n_ranked_labels', report['n_labels'])} classes; KLD reference: "
        f"{report['n_real_reference']} real clips."
        + (f" Judged again from the wavs kept in `{report['rejudged_from']}`." if "rejudged_from" in report else ""),
        "",
        "| audio | top-1 | top-3 | labels with KLD same < other | peak before gain (median / max) |",
        "|---|---:|---:|---:|---:|",
        f"| real test clips (ceiling) | {_f(report['ceiling']['top1'])} | {_f(report['ceiling']['top3'])} | "
        f"{_f(report['ceiling']['labels_recognised'])} | - |",
    ]
    for d in durs:
        g = report["generated"][d]
        p = g["peak_before_gain"]
        lines.append(f"| generated, {d} s | {_f(g['top1'])} | {_f(g['top3'])} | {_f(g['labels_recognised'])} | "
                     f"{p['median']:.2f} / {p['max']:.2f} |")  # fmt: skip
    head = "| label | n | real top-1/top-3 | " + " | ".join(f"{d} s top-1/top-3/KLD ok" for d in durs) + " |"
    lines += ["", head, "|---|---:|---:|" + "---:|" * len(durs)]
    for label, real in report["ceiling"]["per_label"].items():
        cells = []
        for d in durs:
            g = report["generated"][d]["per_label"].get(label)
            cells.append(
                "-"
                if g is None
                else f"{g['top1']:.2f} / {g['top3']:.2f} / {'yes' if g['recognised'] else 'no'}"
            )
        lines.append(
            f"| {label} | {real['n']} | {real['top1']:.2f} / {real['top3']:.2f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def eval_codecs(codecs: list[str], *, manifest: str | Path, split: str = "test", n: int = 40,
                plots: str | Path | None = None) -> dict[str, Any]:  # fmt: skip
    """:func:`genav.eval.runners.codec_eval.evaluate_codec` of each codec (``mel`` or a codec folder) on
    ``n`` clips of ``split``; with ``plots``, a spectrogram sheet per clip for the first six."""
    from genav.codecs import load_codec
    from genav.eval.plots.spectrograms import spectrogram_sheet
    from genav.eval.runners.codec_eval import evaluate_codec
    from genav.media import read_audio

    rows = select_rows(load_test_rows(manifest, split), n)
    loaded = {name: load_codec(name) for name in codecs}
    rate = next(iter(loaded.values())).sample_rate
    if any(c.sample_rate != rate or c.audio_channels != 1 for c in loaded.values()):
        raise InputError("the codecs to compare must be mono at one sample rate")
    waves = [read_audio(r["_path"], sample_rate=rate, mono=True).samples[0] for r in rows]
    results = {name: evaluate_codec(codec, waves) for name, codec in loaded.items()}
    if plots is not None:
        import torch

        for r, w in list(zip(rows, waves, strict=True))[:6]:
            sheet = {"original": w}
            for name, codec in loaded.items():
                with torch.no_grad():
                    sheet[name] = codec.decode(codec.encode(torch.from_numpy(w)[None, None]))[0, 0, : len(w)].numpy()
            spectrogram_sheet(Path(plots) / f"{Path(r['file']).stem}.png", sheet, rate, title=str(r["label"]))
    return {"task": "codec", "manifest": str(manifest), "split": split, "n_clips": len(rows), "sample_rate": rate,
            "codecs": {k: {key: v for key, v in res.items() if key != "per_clip"} for k, res in results.items()}}  # fmt: skip


def codec_markdown(report: dict[str, Any]) -> str:
    """One row per codec."""
    lines = [f"# genav eval codec: {report['n_clips']} clips of `{report['manifest']}` ({report['split']})", "",
             "| codec | spectral convergence | log-spectral distance (dB) | max peak ratio | decode s per s of audio |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, r in report["codecs"].items():
        lines.append(f"| {name} | {r['spectral_convergence']:.4f} | {r['log_spectral_distance_db']:.2f} | "
                     f"{r['peak_ratio_max']:.2f} | {r['decode_seconds_per_second']:.3f} |")  # fmt: skip
    return "\n".join(lines) + "\n"
