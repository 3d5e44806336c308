"""The worked examples of EVALUATION.md, on clips made here exactly as described there.

256x256 black video, white 48x48 square jolting 12, 6, 3, 1 px on the event frame and the three
after it, 25 fps, 4 s; audio = 50 ms clicks (white-noise bursts) at 0.48/1.20/1.88/2.52/3.20 s.
Each video is decoded once (module fixture); every audio variant goes through the same
``score_clip`` that :func:`av_align` uses, and one end-to-end call checks that path too.
"""

from __future__ import annotations

import numpy as np
import pytest

from genav.data.synth.calibration import EVENT_TIMES, click_track, jolt_frames, write_jolt_video, write_wav
from genav.eval.detectors.av_align_clip import av_align, score_clip
from genav.eval.detectors.onsets import load_audio
from genav.eval.detectors.optical_flow import flow_trajectory

E = list(EVENT_TIMES)
CASES = {
    "aligned": (E, 1.0),
    "late_20ms": ([t + 0.020 for t in E], 1.0),
    "early_40ms": ([t - 0.040 for t in E], 1.0),
    "late_40ms": ([t + 0.040 for t in E], 0.0),
    "three_of_five": (E[:3] + [2.20, 3.60], 3 / 7),
    "doubled": (E + [t + 0.3 for t in E], 0.5),
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("av_examples")
    jolt = write_jolt_video(d / "jolt.mp4", jolt_frames())
    static = write_jolt_video(d / "static.mp4", jolt_frames(static=True))
    return {
        "dir": d,
        "jolt": jolt,
        "static": static,
        "traj": flow_trajectory(jolt),
        "static_traj": flow_trajectory(static),
    }


def _wav(clips, name: str, wave: np.ndarray) -> np.ndarray:
    """Write the wav and load it back as the reference does (16-bit PCM round trip included)."""
    return load_audio(write_wav(clips["dir"] / f"{name}.wav", wave))


@pytest.mark.parametrize("protocol", ["reference", "genav"])
@pytest.mark.parametrize("case", list(CASES))
def test_clicks_against_jolting_square(clips, case, protocol):
    times, expected = CASES[case]
    result = score_clip(clips["traj"], _wav(clips, case, click_track(times)), protocol=protocol)
    assert result.video_peaks == pytest.approx(E)  # one peak per event, on the event frame
    assert result.n_audio_peaks == len(times)
    assert result.score == pytest.approx(expected, abs=1e-12)


def test_trajectory_shape_and_first_value_duplicated(clips):
    traj = clips["traj"]
    assert traj.frames == 100 and traj.fps == 25.0 and (traj.width, traj.height) == (256, 256)
    assert traj.values[0] == traj.values[1]
    assert traj.values.max() > 0.1 > np.median(traj.values)


def test_onsets_land_3_to_24_ms_after_clicks(clips):
    result = score_clip(clips["traj"], _wav(clips, "aligned", click_track(E)))
    lag = np.asarray(result.audio_peaks) - np.asarray(E)
    assert np.all((lag > 0.002) & (lag < 0.025)), lag


@pytest.mark.parametrize("protocol", ["reference", "genav"])
def test_white_noise_gives_15_onsets_and_2_of_18(clips, protocol):
    noise = np.random.default_rng(0).normal(0.0, 0.01, 4 * 22050).astype(np.float32)
    result = score_clip(clips["traj"], _wav(clips, "noise", noise), protocol=protocol)
    assert result.n_audio_peaks == 15 and result.n_video_peaks == 5 and result.n_matched == 2
    assert result.score == pytest.approx(2 / 18, abs=1e-12)


@pytest.mark.parametrize("protocol", ["reference", "genav"])
def test_static_video(clips, protocol):
    clicks = score_clip(clips["static_traj"], _wav(clips, "aligned", click_track(E)), protocol=protocol)
    assert (clicks.n_video_peaks, clicks.n_audio_peaks, clicks.score) == (0, 5, 0.0)
    silence = score_clip(clips["static_traj"], _wav(clips, "silence", np.zeros(4 * 22050)), protocol=protocol)
    assert (silence.n_video_peaks, silence.n_audio_peaks) == (0, 0)
    assert silence.score is None and silence.error is None  # undefined, not a crash and not 0


def test_end_to_end_separate_wav_and_own_track(clips):
    wav = write_wav(clips["dir"] / "e2e.wav", click_track(E))
    separate = av_align(clips["jolt"], wav, keep_curves=True)
    assert separate.score == 1.0 and separate.name == "jolt" and separate.frames == 100
    assert separate.trajectory is not None and len(separate.onset_envelope) == 1 + 4 * 22050 // 512
    muxed = write_jolt_video(clips["dir"] / "muxed.mp4", jolt_frames(), audio=click_track(E))
    own = av_align(muxed)  # the video's own (AAC) track, at 22050 Hz mono
    assert own.score == 1.0 and own.audio is None
    assert own.audio_peaks == pytest.approx(separate.audio_peaks, abs=1e-9)


def test_steady_motion_gives_noise_peaks_only_in_the_reference(tmp_path):
    """A textured square at constant speed that only reverses direction: no real flow peaks."""
    from genav.eval.detectors.av_align_clip import detect_video_peaks_genav
    from genav.eval.detectors.optical_flow import detect_video_peaks
    from genav.media import write_video

    texture = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)

    def frames():
        x, v = 20, 5
        for _ in range(100):
            frame = np.full((256, 256, 3), 40, dtype=np.uint8)
            frame[96:160, x : x + 64] = texture
            yield frame
            x += v
            v = -v if not 10 <= x <= 180 else v

    traj = flow_trajectory(write_video(tmp_path / "steady.mp4", frames(), 25, crf=23))
    assert len(detect_video_peaks(traj.values)) >= 20  # float/codec noise on a flat trajectory
    assert len(detect_video_peaks_genav(traj.values, traj.width, traj.height)) == 0
