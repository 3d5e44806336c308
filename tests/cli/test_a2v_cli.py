"""`genav a2v`: video with the input sound muxed, sidecars, batches over folders and manifests, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genav.errors import GenavError, InputError, OutputExistsError, UnknownModelError
from genav.media import Audio, probe, read_audio, write_audio
from tests.cli.test_generate import genav, genav_process, one_line_error

FAST = ["--model", "debug-a2v", "--steps", "1", "--seed", "5"]


def sound(path: Path, *, seconds: float = 1.0, at: float = 0.4, silent: bool = False) -> Path:
    wave = np.zeros(int(seconds * 16000), np.float32)
    if not silent:
        i = int(at * 16000)
        wave[i : i + 400] = np.random.default_rng(1).normal(0, 0.3, 400)
    return write_audio(path, Audio(wave, 16000))


def test_single_sound_gives_a_video_with_that_sound_and_a_sidecar(tmp_path):
    src = sound(tmp_path / "hit.wav", seconds=1.5)
    out = tmp_path / "hit.mp4"
    proc = genav("a2v", str(src), "-o", str(out), "--prompt", "a red ball", *FAST)
    assert proc.returncode == 0, proc.stderr
    info = probe(out)
    assert info.n_frames == 12 and info.has_audio and (info.width, info.height) == (32, 32)
    back = read_audio(out, sample_rate=16000, mono=True)
    assert abs(back.duration - 1.5) < 0.1 and np.abs(back.samples).max() > 0.1
    side = json.loads((tmp_path / "hit.mp4.json").read_text())
    assert side["task"] == "a2v" and side["model"] == "debug-a2v" and side["seeds"] == [5]
    assert side["settings"]["prompt"] == "a red ball" and side["input"] == str(src)
    before = out.read_bytes()
    with pytest.raises(OutputExistsError):
        genav("a2v", str(src), "-o", str(out), *FAST)
    assert out.read_bytes() == before


def test_webm_output_is_vp9_and_unknown_containers_or_rates_fail_before_the_model(tmp_path):
    src = sound(tmp_path / "hit.wav", seconds=1.0)
    out = tmp_path / "hit.webm"
    proc = genav("a2v", str(src), "-o", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    info = probe(out)
    assert info.video_codec == "vp9" and info.n_frames == 8 and info.has_audio
    for bad, message in (("x.gif", "unknown container '.gif'"), ("x.avi", "unknown container '.avi'")):
        with pytest.raises(GenavError, match=message):
            genav("a2v", str(src), "-o", str(tmp_path / bad), "--model", "no-such-model")  # fails before loading
    with pytest.raises(GenavError, match="duration must be more than 0"):
        genav("a2v", str(src), "-o", str(tmp_path / "y.mp4"), "-d", "-1", "--model", "no-such-model")
    for fps in ("0", "100000"):
        with pytest.raises(GenavError, match="fps must be > 0 and at most 120"):
            genav("a2v", str(src), "-o", str(tmp_path / "y.mp4"), "--fps", fps, "--model", "no-such-model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hit.wav", "hit.webm", "hit.webm.json"]


def test_folder_batch_resumes_and_reports_the_silent_file(tmp_path):
    folder = tmp_path / "sounds"
    folder.mkdir()
    sound(folder / "a.wav")
    sound(folder / "b.flac", at=0.6)
    sound(folder / "quiet.wav", silent=True)
    (folder / "notes.txt").write_text("not a sound")
    out = tmp_path / "out"
    proc = genav("a2v", str(folder), "-o", str(out), *FAST)
    assert proc.returncode == 1 and "silent" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", "a.mp4.json", "b.mp4", "b.mp4.json"]
    stamp = (out / "a.mp4").stat().st_mtime_ns
    again = genav("a2v", str(folder), "-o", str(out), *FAST, "--allow-silent")
    assert again.returncode == 0 and "skipped 2" in again.stderr
    assert (out / "a.mp4").stat().st_mtime_ns == stamp and (out / "quiet.mp4").exists()


def test_manifest_rows_with_prompts(tmp_path):
    sound(tmp_path / "x.wav")
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text(json.dumps({"audio": "x.wav", "prompt": "a grey door", "seed": 3}) + "\n")
    proc = genav("a2v", str(manifest), "-o", str(tmp_path / "out"), *FAST)
    assert proc.returncode == 0, proc.stderr
    side = json.loads((tmp_path / "out" / "x.mp4.json").read_text())
    assert side["settings"]["prompt"] == "a grey door" and side["seeds"] == [3]


def test_bad_input_is_a_one_line_error_and_writes_nothing(tmp_path):
    quiet = sound(tmp_path / "quiet.wav", silent=True)
    out = tmp_path / "o.mp4"
    one_line_error(genav_process("a2v", str(quiet), "-o", str(out), *FAST), "silent")
    with pytest.raises(UnknownModelError, match="not an audio-to-video adaptor"):
        genav("a2v", str(sound(tmp_path / "s.wav")), "-o", str(out), "--model", "debug-t2v")
    with pytest.raises(InputError, match="not found"):
        genav("a2v", str(tmp_path / "missing.wav"), "-o", str(out), *FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiet.wav", "s.wav"]
