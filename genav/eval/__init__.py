"""genav.eval."""

# --- AV-Align, reports, plots (issue 5, AV-Align part) -------------------------------------------
from genav.eval.av_align import (
    PROTOCOLS,
    AVAlignResult,
    av_align,
    av_align_score,
    match_greedy,
    match_optimal,
)
from genav.eval.av_dataset import evaluate_av_align, resolve_clips
from genav.eval.flow import detect_video_peaks, flow_trajectory
from genav.eval.onsets import detect_audio_peaks
from genav.eval.report import save_report, summary_rows, versions

__all__ = [
    "PROTOCOLS",
    "AVAlignResult",
    "av_align",
    "av_align_score",
    "match_greedy",
    "match_optimal",
    "evaluate_av_align",
    "resolve_clips",
    "detect_video_peaks",
    "flow_trajectory",
    "detect_audio_peaks",
    "save_report",
    "summary_rows",
    "versions",
]
# --- end AV-Align block ---------------------------------------------------------------------------

# --- classifier metrics: KLD, FD/FAD, IS, CNN14, genav tagger (issue 5, classifier part) ---------
# Resolved lazily: these pull in torch, which the AV-Align worker processes must not pay for.
_LAZY_EXPORTS = {
    "evaluate_all": "genav.eval.audio_eval",
    "evaluate_fad": "genav.eval.audio_eval",
    "evaluate_is": "genav.eval.audio_eval",
    "evaluate_kld": "genav.eval.audio_eval",
    "Preparation": "genav.eval.audio_prep",
    "prepare_audio": "genav.eval.audio_prep",
    "sinc_resample": "genav.eval.audio_prep",
    "AudioClassifier": "genav.eval.classifiers",
    "ClassifierInfo": "genav.eval.classifiers",
    "load_classifier": "genav.eval.classifiers",
    "Cnn14": "genav.eval.cnn14",
    "load_cnn14": "genav.eval.cnn14",
    "frechet_distance": "genav.eval.frechet",
    "inception_score": "genav.eval.inception",
    "KLD_VARIANTS": "genav.eval.kld",
    "KldVariant": "genav.eval.kld",
    "kl_divergence": "genav.eval.kld",
    "Tagger": "genav.eval.tagger",
    "TaggerConfig": "genav.eval.tagger",
    "load_tagger": "genav.eval.tagger",
    # issue 13: weight-free sync measure, av-benchmark extractors
    "SyncResult": "genav.eval.sync_measure",
    "SyncSettings": "genav.eval.sync_measure",
    "sync_offset": "genav.eval.sync_measure",
    "score_sync": "genav.eval.sync_measure",
    "evaluate_sync": "genav.eval.sync_dataset",
    "Passt": "genav.eval.passt",
    "load_passt": "genav.eval.passt",
    "Vggish": "genav.eval.vggish",
    "load_vggish": "genav.eval.vggish",
    "load_clap": "genav.eval.clap",
    "clap_scores": "genav.eval.clap",
    "evaluate_av_benchmark": "genav.eval.av_benchmark",
}
__all__ += list(_LAZY_EXPORTS)


def __getattr__(name: str):  # PEP 562: import the defining module on first use
    if name in _LAZY_EXPORTS:
        import importlib

        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module 'genav.eval' has no attribute {name!r}")


# --- end classifier-metrics block -----------------------------------------------------------------
