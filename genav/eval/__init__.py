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
