"""Issue 8, input 4: generated audio with NaN samples (or empty) is a failed item with a named
reason, left out of the mean, and the command exits 1 (KLD, FAD, IS and AV-Align alike)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from genav.errors import MediaError
from genav.eval.detectors.av_align_clip import av_align
from genav.eval.runners.audio_metrics import evaluate_fad, evaluate_kld
from tests.eval import test_audio_eval as shared
from tests.eval.test_audio_eval import RATE, _tone

tagger_dir = shared.tagger_dir  # the tiny tagger fixture, shared
one_torch_thread = shared.one_torch_thread  # autouse fixture


@pytest.fixture()
def folders(tmp_path) -> tuple[Path, Path]:
    ref, gen = tmp_path / "ref", tmp_path / "gen"
    ref.mkdir()
    gen.mkdir()
    for i, name in enumerate(["a", "b", "c", "d"]):
        sf.write(ref / f"{name}.wav", _tone(300 + 200 * i, 0.5), RATE)
        sf.write(gen / f"{name}.wav", _tone(400 + 150 * i, 0.5), RATE)
    broken = _tone(900, 0.5)
    broken[1000:1010] = np.nan
    sf.write(gen / "b.wav", broken, RATE, subtype="FLOAT")  # float wav keeps the NaN
    sf.write(gen / "c.wav", np.zeros((0, 1), np.float32), RATE)  # empty
    return ref, gen


def test_kld_lists_the_nan_file_and_averages_the_rest(folders, tagger_dir):
    ref, gen = folders
    report = evaluate_kld(ref, gen, classifier=str(tagger_dir), workers=1)
    rows = {r["name"]: r for r in report["items"]}
    assert "10 non-finite samples (NaN or inf)" in rows["b"]["error"] and rows["b"]["score"] is None
    assert "no audio samples" in rows["c"]["error"]
    assert report["n_failed"] == 2 and report["n_pairs"] == 2
    assert np.isfinite(report["mean"])
    assert report["mean"] == pytest.approx(np.mean([rows["a"]["score"], rows["d"]["score"]]), rel=1e-5)


def test_fad_leaves_the_nan_file_out(folders, tagger_dir):
    ref, gen = folders
    report = evaluate_fad(ref, gen, classifier=str(tagger_dir), workers=1)
    failed = {r["name"]: r["error"] for r in report["items"] if r["error"]}
    assert set(failed) == {"b", "c"} and "non-finite" in failed["b"]
    assert report["n_gen"] == 2 and np.isfinite(report["value"]) and report["value_error"] is None


@pytest.mark.parametrize("metric", ["kld", "fad"])
def test_cli_exits_1_naming_the_file(folders, tagger_dir, metric):
    from genav.cli.app import app

    ref, gen = folders
    result = CliRunner().invoke(app, ["eval", metric, "--ref", str(ref), "--gen", str(gen),
                                      "--classifier", str(tagger_dir), "--workers", "1"])  # fmt: skip
    assert result.exit_code == 1
    assert "b.wav: the audio has 10 non-finite samples (NaN or inf)" in result.stdout
    assert "nan" not in result.stdout.split("genav:")[0].lower().replace("non-finite samples (nan", "")


def test_av_align_names_non_finite_audio(tmp_path):
    from genav.media import Audio, write_video

    frames = np.zeros((20, 32, 32, 3), np.uint8)
    video = write_video(tmp_path / "v.mp4", frames, 10, audio=Audio(np.zeros(16000, np.float32), 16000))
    wave = np.zeros(22050, np.float32)
    wave[5] = np.inf
    sf.write(tmp_path / "v.wav", wave, 22050, subtype="FLOAT")
    with pytest.raises(MediaError, match="1 non-finite samples"):
        av_align(video, tmp_path / "v.wav", protocol="genav")
