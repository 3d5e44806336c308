"""``genav eval v2a`` (alias ``genav bench sync``): sync and text steering on unseen synthetic clips.

For ``n`` test-split clips (seeds disjoint from training) at each frame rate, the model sees the
silent video and hears nothing; its sound is scored against the clip's true sound and event
times: AV-Align of the generated pair next to the true pair and a shuffled pair (each video with
the next clip's true sound), and onset precision/recall/F1 against the true on-screen events
(±50 ms). A model has learned sync when it is near the true pair and far above the shuffled one.

Prompts: the clip's own caption, none (video only), or with ``prompt="swap"`` a caption of
another event type (single-source clips): the genav tagger must then hear the *prompted* type
(top-1/top-3 among the synthetic-world classes) while the onsets stay on the video's events. With
``prompt="sfx2"`` each single-source clip is prompted with a held-out caption of a real recording
(sfx2 test, one label after another): the tagger must hear that label among the 62 (a real sound
on the picture's timing). ``sound_model`` evaluates :class:`~genav.pipelines.PlacedFoleyPipeline`
(the model's timing, that text-to-audio model's sound).
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from genav.config import keyword_default
from genav.data.manifest import iter_manifest_rows
from genav.errors import InputError
from genav.pipelines.eval_t2a import DEFAULT_MANIFEST
from genav.pipelines.settings import steps_and_scale

log = logging.getLogger(__name__)

PROMPT_MODES = ("caption", "none", "swap", "sfx2")


def swap_prompts(rows: list[dict[str, Any]], seed: int) -> list[tuple[str, str]]:
    """(prompt, prompted class) per row: the caption of a single-source test clip of another
    event type whose tagger class differs from the row's own."""
    from genav.data.synth import EVENT_TYPES, SynthSettings, clip_seed, generate_clip
    from genav.eval.classifiers.tagger_labels import SYNTH_CLASS_OF_EVENT

    out = []
    for i, row in enumerate(rows):
        own = SYNTH_CLASS_OF_EVENT.get(str(row.get("label")))
        others = [t for t in EVENT_TYPES if SYNTH_CLASS_OF_EVENT[t] != own]
        kind = others[i % len(others)]
        settings = SynthSettings(event_types=(kind,), max_sources=1, p_texture=0.0, difficulty=0.0)
        caption = generate_clip(clip_seed("test", seed, 5_000_000 + i), settings).caption
        out.append((caption, SYNTH_CLASS_OF_EVENT[kind]))
    return out


def sfx2_prompts(n: int, manifest: str | Path) -> tuple[list[tuple[str, str]], list[str]]:
    """(held-out caption, label) for ``n`` clips, cycling through sfx2 test rows one label after
    another (:func:`~genav.pipelines.eval_t2a.select_rows`), and every test label (the ranking)."""
    from genav.data.captions import held_out_caption
    from genav.pipelines.eval_t2a import load_test_rows, select_rows

    rows = select_rows(load_test_rows(manifest, "test"), None)
    picked = [rows[i % len(rows)] for i in range(n)]
    return [(held_out_caption(r) or str(r["label"]), str(r["label"])) for r in picked], sorted({str(r["label"]) for r in rows})


def clip_settings(fps: int, *, single_source: bool, seconds: float = 4.0) -> Any:
    """The test clips: ``seconds`` long, 64x64, 16 kHz at ``fps``; single-source and texture-free for
    prompt swaps."""
    from genav.data.synth import SynthSettings

    extra = {"max_sources": 1, "p_texture": 0.0} if single_source else {}
    return SynthSettings(duration=seconds, fps=fps, width=64, height=64, sample_rate=16000, **extra)


def _peaks_summary(peaks: list[float]) -> dict[str, Any]:
    return {"median": round(float(np.median(peaks)), 4), "max": round(float(np.max(peaks)), 4),
            "over_4x": int(np.sum(np.asarray(peaks) > 4.0))}  # fmt: skip


def _score_sync(rows: list[dict[str, Any]], folder: Path, gen_dir: Path, protocol: str) -> dict[str, Any]:
    """AV-Align and pooled onset F1 of the true, generated and shuffled sound of every clip."""
    from genav.eval import av_align
    from genav.eval.detectors.onsets import detect_audio_peaks, load_audio
    from genav.eval.metrics.event_f1 import event_f1, pooled_f1

    pairs: dict[str, list] = {"true": [], "generated": [], "shuffled": []}
    f1s: dict[str, list[dict[str, float]]] = {k: [] for k in pairs}
    for i, row in enumerate(rows):
        video = folder / row["files"]["silent"]
        sounds = {
            "true": folder / row["audio"],
            "generated": gen_dir / f"{row['id']}.wav",
            "shuffled": folder / rows[(i + 1) % len(rows)]["audio"],
        }
        truth = [e["time"] for e in row["events"] if e["on_screen"] and e.get("audible", True)]
        for kind, sound in sounds.items():
            pairs[kind].append(av_align(video, sound, protocol=protocol).score)
            f1s[kind].append(event_f1(detect_audio_peaks(load_audio(sound)), truth))
    out: dict[str, Any] = {}
    for kind in pairs:
        scores = [s for s in pairs[kind] if s is not None]
        out[f"av_align_{kind}"] = round(float(np.mean(scores)), 4) if scores else None
        out[f"onset_f1_{kind}"] = round(pooled_f1(f1s[kind])["f1"], 4)
    gen, true, shuf = out["av_align_generated"], out["av_align_true"], out["av_align_shuffled"]
    out["av_align_vs_true"] = round(gen / true, 4) if gen is not None and true else None
    out["av_align_vs_shuffled"] = round(gen / shuf, 4) if gen is not None and shuf else None
    return out


def _judge_swap(clf: Any, gen_dir: Path, rows: list[dict[str, Any]], prompted: list[str],
                among: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Tagger ranks of the prompted class among ``among`` (default: the synthetic classes; then
    also how often it still hears the video's own class first)."""
    from genav.eval.classifiers.tagger_labels import SYNTH_CLASS_OF_EVENT, SYNTH_CLASSES
    from genav.eval.metrics.label_scores import accuracy_table
    from genav.media import read_audio

    classes = list(clf.model.config.classes)
    synthetic = among is None
    among = [c for c in SYNTH_CLASSES if c in classes] if synthetic else among
    waves = [read_audio(gen_dir / f"{r['id']}.wav", sample_rate=clf.sample_rate, mono=True).samples[0] for r in rows]
    logits = clf.classify(waves)[0]
    table = accuracy_table(logits, prompted, classes, among=among)
    own = accuracy_table(logits, [SYNTH_CLASS_OF_EVENT[str(r["label"])] for r in rows], classes, among=among) if synthetic else None
    return {"n": table["n"], "prompted_top1": table["top1"], "prompted_top3": table["top3"], "n_ranked": len(among),
            "own_top1": None if own is None else own["top1"], "classifier": clf.info.name}  # fmt: skip


def _run_fps(pipe: Any, fps: int, work: Path, opts: dict[str, Any]) -> dict[str, Any]:
    from genav.data.synth import write_synth_dataset
    from genav.pipelines.progress import item_bar

    swap = opts["prompt"] in ("swap", "sfx2")  # single-source clips, judged by the prompted label
    folder, gen_dir = work / f"clips-{fps}", work / f"generated-{fps}"
    gen_dir.mkdir(parents=True)
    settings = clip_settings(fps, single_source=swap, seconds=opts["seconds"])
    manifest = write_synth_dataset(folder, opts["n"], opts["seed"], "test", settings, silent=True, progress=False,
                                   workers=1)  # fmt: skip
    rows = [row for _, row in iter_manifest_rows(manifest)]
    among = None
    if opts["prompt"] == "sfx2":
        prompts, among = sfx2_prompts(len(rows), opts["manifest"])
    else:
        prompts = swap_prompts(rows, opts["seed"]) if swap else None
    peaks, phases = [], set()
    for i, row in enumerate(item_bar(rows, desc=f"v2a {fps} fps", unit="clip")):
        prompt = prompts[i][0] if swap else (row["caption"] if opts["prompt"] == "caption" else None)
        out = pipe(folder / row["files"]["silent"], prompt=prompt, num_steps=opts["num_steps"],
                   guidance_scale=opts["guidance_scale"], seed=opts["seed"] + i, sync_phases=opts["sync_phases"],
                   text_guidance_scale=opts["text_guidance_scale"], window=opts["window"])  # fmt: skip
        peaks += out.metadata["peak_before_gain"]
        phases.add(out.metadata["settings"]["sync_phases"])
        out.save(gen_dir / f"{row['id']}.wav")
    result = _score_sync(rows, folder, gen_dir, opts["protocol"])
    result["peak_before_gain"] = _peaks_summary(peaks)
    result["sync_phases"] = sorted(phases)
    if swap:
        from genav.eval.classifiers.registry import load_classifier

        result["swap"] = _judge_swap(load_classifier(opts["classifier"]), gen_dir, rows, [p[1] for p in prompts], among)
    return result


def eval_v2a(
    model: str = "genav-foley-tiny",
    *,
    n: int = 100,
    fps: tuple[int, ...] = (10, 25),
    seed: int = 0,
    num_steps: int = keyword_default(25),
    guidance_scale: float = keyword_default(4.5),
    protocol: str = "reference",
    prompt: str = "caption",
    classifier: str | None = None,
    workdir: str | Path | None = None,
    sync_phases: int | None = None,
    text_guidance_scale: float | None = None,
    seconds: float = 4.0,
    window: float | None = None,
    sound_model: str | None = None,
    manifest: str | Path | None = None,
    **deprecated: Any,
) -> dict[str, Any]:
    """Generate sound for ``n`` silent synthetic test clips per frame rate and score it (module doc).

    Args:
        model: a video-to-audio model name or folder.
        n: test clips per frame rate (>= 2: the shuffled pair needs another clip).
        fps: frame rates of the test clips (frames per second).
        seed: the first clip's seed (clip ``i`` uses ``seed + i``).
        num_steps: solver steps. guidance_scale: classifier-free guidance scale.
        protocol: the AV-Align protocol (``reference`` or ``genav``).
        prompt: ``caption`` | ``none`` | ``swap`` (another event type's caption) | ``sfx2`` (a
            held-out caption of a real recording; see the module doc).
        classifier: the judge of ``swap`` / ``sfx2`` (default genav-tagger).
        workdir: parent of the temporary folder (removed at the end).
        sync_phases: how the pipeline reads clips faster than the model's rate (None: its default;
            1: a plain read at the model's rate; see :mod:`genav.models.sync_phases`).
        text_guidance_scale: the guidance scale of what the prompt adds (None: the pipeline's
            default, :meth:`default_text_guidance_scale`); the video's stays ``guidance_scale``
            (see :mod:`genav.sampling.guidance`).
        seconds: length of each test clip. window: seconds per generated window (None: the
            model's ``default_window``).
        sound_model: a text-to-audio model whose one-shot is placed at ``model``'s onsets
            (:class:`~genav.pipelines.PlacedFoleyPipeline`; needs a prompt mode other than ``none``).
        manifest: the sfx2 manifest of ``sfx2`` prompts (default: the shared data set's).
        **deprecated: ``steps``/``cfg``, the old names of ``num_steps``/``guidance_scale`` (warn).

    Returns:
        The report dict (JSON-ready): task, model, model_checksum, n_clips, fps, num_steps,
        guidance_scale, protocol, prompt, seed, seconds_per_clip, window, clips, by_fps ({fps:
        AV-Align and onset F1 of generated / true / shuffled sound, peaks before gain, swap
        scores}), seconds.

    Raises:
        InputError: an unknown prompt mode, ``n`` < 2, ``seconds`` <= 0, an unknown protocol, or a
            ``sound_model`` with no prompt.
        UnknownModelError / CheckpointError: the model or the classifier cannot be loaded.

    Source: AV-Align (Yariv et al., AAAI 2024, TempoTokens); onset F1 within ±50 ms as in onset
    detection evaluation (mir_eval, Raffel et al. 2014).
    """
    from genav.pipelines import VideoToAudioPipeline

    num_steps, guidance_scale = steps_and_scale(deprecated, "eval_v2a", num_steps, guidance_scale)
    if prompt not in PROMPT_MODES:
        raise InputError(f"unknown prompt mode {prompt!r}; choose one of {', '.join(PROMPT_MODES)}")
    if n < 2:
        raise InputError(f"--n must be at least 2 (the shuffled pair needs another clip), got {n}")
    if not seconds > 0:
        raise InputError(f"clip seconds must be > 0, got {seconds:g}")
    if sound_model is not None and prompt == "none":
        raise InputError("a sound model places the prompt's sound: it needs prompts (not --no-caption)")
    started = time.perf_counter()
    pipe = VideoToAudioPipeline.from_pretrained(model)
    window = pipe.default_window if window is None else window
    if text_guidance_scale is None and prompt != "none" and sound_model is None:
        text_guidance_scale = pipe.default_text_guidance_scale(guidance_scale)  # recorded as used
    name, checksum = pipe.model_name, pipe.checksum
    if sound_model is not None:
        from genav.pipelines import PlacedFoleyPipeline, TextToAudioPipeline

        pipe = PlacedFoleyPipeline(pipe, TextToAudioPipeline.from_pretrained(sound_model))
    opts = {"n": n, "seed": seed, "num_steps": num_steps, "guidance_scale": guidance_scale, "protocol": protocol, "prompt": prompt,
            "classifier": classifier, "sync_phases": sync_phases, "text_guidance_scale": text_guidance_scale,
            "seconds": seconds, "window": window, "manifest": manifest or DEFAULT_MANIFEST}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="genav-eval-v2a-", dir=workdir) as work:
        by_fps = {str(f): _run_fps(pipe, int(f), Path(work), opts) for f in fps}
    return {
        "task": "v2a", "model": name, "model_checksum": checksum, "n_clips": n,
        "sound_model": None if sound_model is None else {"name": pipe.sound.model_name, "checksum": pipe.sound.checksum},
        "fps": list(fps), "num_steps": num_steps, "guidance_scale": guidance_scale,
        "text_guidance_scale": text_guidance_scale, "protocol": protocol, "prompt": prompt, "seed": seed,
        "seconds_per_clip": seconds, "window": window,
        "clips": f"genav synthetic world, test split, {seconds:g} s, 64x64" + (", single source" if prompt in ("swap", "sfx2") else ""),
        "by_fps": by_fps, "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip


def _text_scale(report: dict[str, Any]) -> str:
    scale = report.get("text_guidance_scale")
    return "" if scale is None or scale == report["guidance_scale"] else f" (text {scale:g})"


def _windows(report: dict[str, Any]) -> str:
    window = report.get("window")
    return "" if window is None else f", generated in windows of {window:g} s"


def _placement(report: dict[str, Any]) -> str:
    sound = report.get("sound_model")
    return "" if not sound else f"; the prompt's sound by {sound['name']} placed at the onsets"


def v2a_markdown(report: dict[str, Any]) -> str:
    """The report as a markdown table per frame rate."""
    lines = [
        f"# genav eval v2a: {report['model']} ({report['model_checksum']})",
        "",
        f"{report['n_clips']} clips per frame rate ({report['clips']}), prompt: {report['prompt']}, "
        f"{report['num_steps']} steps, CFG {report['guidance_scale']:g}{_text_scale(report)}, "
        f"AV-Align protocol {report['protocol']}{_windows(report)}{_placement(report)}.",
        "",
        "| fps | read in phases | AV-Align gen / true / shuffled | gen vs true | gen vs shuffled | "
        "onset F1 gen / true / shuffled | peak before gain (median / max) |",
        "|---:|---:|---|---:|---:|---|---:|",
    ]
    for fps, r in report["by_fps"].items():
        phases = ", ".join(str(p) for p in r.get("sync_phases", [])) or "-"
        lines.append(
            f"| {fps} | {phases} | {r['av_align_generated']} / {r['av_align_true']} / {r['av_align_shuffled']} | "
            f"{r['av_align_vs_true']} | {r['av_align_vs_shuffled']} | {r['onset_f1_generated']} / "
            f"{r['onset_f1_true']} / {r['onset_f1_shuffled']} | {r['peak_before_gain']['median']:.2f} / "
            f"{r['peak_before_gain']['max']:.2f} |"
        )
    swaps = {fps: r["swap"] for fps, r in report["by_fps"].items() if "swap" in r}
    if swaps:
        lines += ["", "| fps | prompted class top-1 | top-3 | classes ranked | video's own class top-1 |",
                  "|---:|---:|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {fps} | {s['prompted_top1']:.3f} | {s['prompted_top3']:.3f} | {s.get('n_ranked', '-')} | "
                  f"{'-' if s['own_top1'] is None else format(s['own_top1'], '.3f')} |" for fps, s in swaps.items()]  # fmt: skip
    return "\n".join(lines) + "\n"
