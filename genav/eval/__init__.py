"""genav.eval: AV-Align, the sync measure, KLD, FD/FAD, IS and their classifiers, split by job.

- :mod:`genav.eval.metrics`: the math of each metric, one short file each, arrays in, numbers out;
- :mod:`genav.eval.detectors`: optical flow, audio onsets, and the clip-level measures built on
  them (AV-Align of one clip, the sync measure);
- :mod:`genav.eval.classifiers`: CNN14, PaSST, VGGish, CLAP, the genav tagger, the object reader;
- :mod:`genav.eval.runners`: evaluations over folders and datasets, the process pool, reports;
- :mod:`genav.eval.plots`: PNG plots of the results.

Imports run one way, runners -> plots -> detectors / classifiers -> metrics (import-linter
contracts in ``pyproject.toml``). The names below are the public API.
"""

# --- AV-Align, reports, plots: imported eagerly (numpy only) ------------------------------------
from genav.eval.detectors.av_align_clip import PROTOCOLS, AVAlignResult, av_align
from genav.eval.detectors.onsets import detect_audio_peaks
from genav.eval.detectors.optical_flow import detect_video_peaks, flow_trajectory
from genav.eval.metrics.av_align import av_align_score, match_greedy, match_optimal
from genav.eval.runners.av_align_dataset import evaluate_av_align, resolve_clips
from genav.eval.runners.report import save_report, summary_rows, versions

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

# --- classifier metrics, the sync measure, av-benchmark ----------------------------------------
# Resolved lazily: these pull in torch, which the AV-Align worker processes must not pay for.
_LAZY_EXPORTS = {
    "evaluate_all": "genav.eval.runners.audio_metrics",
    "evaluate_fad": "genav.eval.runners.audio_metrics",
    "evaluate_is": "genav.eval.runners.audio_metrics",
    "evaluate_kld": "genav.eval.runners.audio_metrics",
    "Preparation": "genav.eval.runners.audio_prep",
    "prepare_audio": "genav.eval.runners.audio_prep",
    "sinc_resample": "genav.eval.runners.audio_prep",
    "AudioClassifier": "genav.eval.classifiers.base",
    "ClassifierInfo": "genav.eval.classifiers.base",
    "load_classifier": "genav.eval.classifiers.registry",
    "Cnn14": "genav.eval.classifiers.cnn14",
    "load_cnn14": "genav.eval.classifiers.cnn14",
    "frechet_distance": "genav.eval.metrics.frechet",
    "inception_score": "genav.eval.metrics.inception",
    "KLD_VARIANTS": "genav.eval.runners.kld_variants",
    "KldVariant": "genav.eval.runners.kld_variants",
    "kl_divergence": "genav.eval.metrics.kld",
    "Tagger": "genav.eval.classifiers.tagger",
    "TaggerConfig": "genav.eval.classifiers.tagger",
    "load_tagger": "genav.eval.classifiers.tagger",
    "SyncResult": "genav.eval.detectors.sync_measure",
    "SyncSettings": "genav.eval.detectors.sync_measure",
    "sync_offset": "genav.eval.detectors.sync_measure",
    "score_sync": "genav.eval.detectors.sync_measure",
    "evaluate_sync": "genav.eval.runners.sync_dataset",
    "Passt": "genav.eval.classifiers.passt",
    "load_passt": "genav.eval.classifiers.passt",
    "Vggish": "genav.eval.classifiers.vggish",
    "load_vggish": "genav.eval.classifiers.vggish",
    "load_clap": "genav.eval.classifiers.clap",
    "clap_scores": "genav.eval.classifiers.clap",
    "evaluate_av_benchmark": "genav.eval.runners.av_benchmark",
}
__all__ += list(_LAZY_EXPORTS)


def __getattr__(name: str):  # PEP 562: import the defining module on first use
    if name in _LAZY_EXPORTS:
        import importlib

        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module 'genav.eval' has no attribute {name!r}")
