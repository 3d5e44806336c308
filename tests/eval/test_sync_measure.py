"""The weight-free sync measure: offsets of known shifts, scores of own vs shifted vs swapped audio."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genav.data.synth.calibration import click_track, jolt_frames
from genav.eval.detectors.optical_flow import FlowTrajectory, frames_trajectory
from genav.eval.detectors.sync_measure import SyncSettings, lag_correlation, motion_changes, score_sync

EVENTS = (0.48, 1.20, 1.88, 2.52, 3.20, 3.96, 4.40)
FPS = 25.0


@pytest.fixture(scope="module")
def trajectory() -> FlowTrajectory:
    frames = np.stack(list(jolt_frames(EVENTS, fps=FPS, duration=5.0, size=128)))
    return FlowTrajectory(
        values=frames_trajectory(frames), fps=FPS, frames=len(frames), width=128, height=128
    )


def _clicks(times, shift: float = 0.0) -> np.ndarray:
    return click_track([t + shift for t in times if t + shift >= 0], duration=5.0, seed=1)


@pytest.mark.parametrize("shift", [-0.5, -0.2, 0.0, 0.12, 0.4])
def test_known_shift_recovered_within_one_frame(trajectory, shift):
    result = score_sync(trajectory, _clicks(EVENTS, shift))
    assert result.offset_s == pytest.approx(shift, abs=1.0 / FPS)


def test_own_audio_scores_above_shifted_and_unrelated(trajectory):
    own = score_sync(trajectory, _clicks(EVENTS)).score
    shifted = score_sync(trajectory, _clicks(EVENTS, 0.5)).score
    other = score_sync(trajectory, _clicks((0.7, 1.5, 2.2, 3.6, 4.7))).score
    assert own > 3.0
    assert own > shifted + 2.0 and own > other + 2.0


def test_flat_curves_are_undefined_not_zero():
    still = FlowTrajectory(values=np.zeros(100), fps=FPS, frames=100, width=64, height=64)
    result = score_sync(still, _clicks(EVENTS))
    assert result.score is None and result.offset_s is None and result.error is None
    assert result.row()["abs_offset_s"] is None


def test_motion_changes_and_lag_sign():
    assert motion_changes(np.array([1.0, 3.0, 0.5])).tolist() == [0.0, 2.0, 2.5]
    motion = np.zeros(300)
    motion[[50, 120, 200]] = 1.0
    sound = np.roll(motion, 7)  # sound 7 samples late
    lags, c = lag_correlation(motion, sound, 20, 100)
    assert lags[np.nanargmax(c)] == 7
    assert np.nanmax(c) <= 1.0 + 1e-12


def test_settings_reject_a_bad_lag():
    from genav.errors import InputError

    with pytest.raises(InputError):
        SyncSettings(max_lag_s=0).check()


def test_cli_sync_report_and_plot(tmp_path):
    from typer.testing import CliRunner

    from genav.cli.app import app
    from genav.data.synth.calibration import write_jolt_video, write_wav

    events = EVENTS[:4]
    frames = list(jolt_frames(events, fps=FPS, duration=3.0, size=64))
    write_jolt_video(tmp_path / "clips" / "a.mp4", frames, fps=FPS)
    write_wav(tmp_path / "clips" / "a.wav", click_track([t + 0.2 for t in events], duration=3.0, seed=1))
    out = tmp_path / "r.json"
    args = [
        "eval",
        "sync",
        str(tmp_path / "clips"),
        "--json",
        str(out),
        "--plot",
        str(tmp_path / "plots"),
        "--workers",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    row = report["clips"][0]
    assert report["metric"] == "sync" and report["n_scored"] == 1
    assert row["offset_s"] == pytest.approx(0.2, abs=1.0 / FPS)
    assert (tmp_path / "plots" / "a.png").stat().st_size > 1000
    again = CliRunner().invoke(app, args)  # existing output without --overwrite
    assert again.exit_code != 0 and "exists" in str(again.exception or again.output)


def test_cli_sync_bad_clip_is_a_row(tmp_path):
    from typer.testing import CliRunner

    from genav.cli.app import app

    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    result = CliRunner().invoke(app, ["eval", "sync", str(tmp_path / "broken.mp4"), "--workers", "1"])
    assert result.exit_code == 1
    assert "1 failed" in result.output
