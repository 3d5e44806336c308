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
from genav.eval.audio_eval import evaluate_all, evaluate_fad, evaluate_is, evaluate_kld  # noqa: E402
from genav.eval.audio_prep import Preparation, prepare_audio, sinc_resample  # noqa: E402
from genav.eval.classifiers import AudioClassifier, ClassifierInfo, load_classifier  # noqa: E402
from genav.eval.cnn14 import Cnn14, load_cnn14  # noqa: E402
from genav.eval.frechet import frechet_distance  # noqa: E402
from genav.eval.inception import inception_score  # noqa: E402
from genav.eval.kld import KLD_VARIANTS, KldVariant, kl_divergence  # noqa: E402
from genav.eval.tagger import Tagger, TaggerConfig, load_tagger  # noqa: E402

__all__ += [
    "evaluate_all",
    "evaluate_fad",
    "evaluate_is",
    "evaluate_kld",
    "Preparation",
    "prepare_audio",
    "sinc_resample",
    "AudioClassifier",
    "ClassifierInfo",
    "load_classifier",
    "Cnn14",
    "load_cnn14",
    "frechet_distance",
    "inception_score",
    "KLD_VARIANTS",
    "KldVariant",
    "kl_divergence",
    "Tagger",
    "TaggerConfig",
    "load_tagger",
]
# --- end classifier-metrics block -----------------------------------------------------------------
