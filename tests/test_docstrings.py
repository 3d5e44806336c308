"""Every public pipeline ``__call__`` and every public evaluator documents its arguments (shapes,
units), what it returns, what it raises, and the paper or reference it follows.

The list is explicit: a new public evaluator or pipeline is added here by hand."""

from __future__ import annotations

import importlib
import inspect

import pytest

# (module, qualified name, a word the Source line must name: the paper/reference; "" = genav's own)
DOCUMENTED = [
    # genav.eval public API (genav/eval/__init__.py)
    ("genav.eval.detectors.av_align_clip", "av_align", "Yariv"),
    ("genav.eval.metrics.av_align", "av_align_score", "Yariv"),
    ("genav.eval.metrics.av_align", "match_greedy", "Yariv"),
    ("genav.eval.metrics.av_align", "match_optimal", "Yariv"),
    ("genav.eval.runners.av_align_dataset", "evaluate_av_align", "Yariv"),
    ("genav.eval.runners.av_align_dataset", "resolve_clips", ""),
    ("genav.eval.detectors.optical_flow", "detect_video_peaks", "Yariv"),
    ("genav.eval.detectors.optical_flow", "flow_trajectory", "Farneback"),
    ("genav.eval.detectors.onsets", "detect_audio_peaks", "librosa"),
    ("genav.eval.runners.report", "save_report", ""),
    ("genav.eval.runners.report", "summary_rows", ""),
    ("genav.eval.runners.report", "versions", ""),
    ("genav.eval.runners.audio_metrics", "evaluate_all", "Kilgour"),
    ("genav.eval.runners.audio_metrics", "evaluate_fad", "Kilgour"),
    ("genav.eval.runners.audio_metrics", "evaluate_is", "Salimans"),
    ("genav.eval.runners.audio_metrics", "evaluate_kld", "AudioLDM"),
    ("genav.eval.runners.audio_prep", "prepare_audio", "av-benchmark"),
    ("genav.eval.runners.audio_prep", "sinc_resample", "torchaudio"),
    ("genav.eval.classifiers.registry", "load_classifier", "Kong"),
    ("genav.eval.classifiers.cnn14", "load_cnn14", "Kong"),
    ("genav.eval.metrics.frechet", "frechet_distance", "Kilgour"),
    ("genav.eval.metrics.inception", "inception_score", "Salimans"),
    ("genav.eval.metrics.kld", "kl_divergence", "AudioLDM"),
    ("genav.eval.classifiers.tagger", "load_tagger", "Kong"),
    ("genav.eval.detectors.sync_measure", "sync_offset", ""),
    ("genav.eval.detectors.sync_measure", "score_sync", "Yariv"),
    ("genav.eval.runners.sync_dataset", "evaluate_sync", ""),
    ("genav.eval.classifiers.passt", "load_passt", "Koutini"),
    ("genav.eval.classifiers.vggish", "load_vggish", "Hershey"),
    ("genav.eval.classifiers.clap", "load_clap", "Elizalde"),
    ("genav.eval.classifiers.clap", "clap_scores", "Elizalde"),
    ("genav.eval.runners.av_benchmark", "evaluate_av_benchmark", "av-benchmark"),
    ("genav.eval.runners.codec_eval", "evaluate_codec", "Sturmel"),
    # evaluator entry points of the pipelines
    ("genav.pipelines.eval_t2a", "eval_t2a", "Salimans"),
    ("genav.pipelines.eval_v2a", "eval_v2a", "Yariv"),
    ("genav.pipelines.eval_distractors", "eval_distractors", "librosa"),
    ("genav.pipelines.eval_t2v", "eval_t2v", "Yariv"),
    ("genav.pipelines.eval_a2v", "eval_a2v", "Yariv"),
    # public pipelines
    ("genav.pipelines.text_to_audio", "TextToAudioPipeline.__call__", "Ho & Salimans"),
    ("genav.pipelines.video_to_audio", "VideoToAudioPipeline.__call__", "Ho & Salimans"),
    ("genav.pipelines.text_to_video", "TextToVideoPipeline.__call__", "Peebles"),
    ("genav.pipelines.audio_to_video", "AudioToVideoPipeline.__call__", "Yariv"),
    ("genav.pipelines.diffusers_t2a", "DiffusersTextToAudioPipeline.__call__", "Ho & Salimans"),
]


def _resolve(module: str, qualname: str):
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _sections(doc: str) -> set[str]:
    return {
        line.strip()[:-1] for line in doc.splitlines() if line.strip() in ("Args:", "Returns:", "Raises:")
    }


@pytest.mark.parametrize(("module", "qualname", "source"), DOCUMENTED, ids=[q for _, q, _ in DOCUMENTED])
def test_public_callable_documents_args_returns_raises_and_source(
    module: str, qualname: str, source: str
) -> None:
    doc = inspect.getdoc(_resolve(module, qualname)) or ""
    assert _sections(doc) == {"Args", "Returns", "Raises"}, f"{module}.{qualname}: sections {_sections(doc)}"
    assert "Source:" in doc, f"{module}.{qualname}: no Source: line"
    assert source in " ".join(doc.split("Source:", 1)[1].split()), (
        f"{module}.{qualname}: Source names no {source!r}"
    )


def test_the_list_covers_the_eval_public_api() -> None:
    import genav.eval

    listed = {q for _, q, _ in DOCUMENTED}
    functions = {n for n in genav.eval.__all__ if inspect.isfunction(getattr(genav.eval, n))}
    assert functions - listed == set(), "public genav.eval functions missing from DOCUMENTED"
