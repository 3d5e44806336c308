"""`genav t2a` / `genav v2a` on the debug model: every CLI path, batches, resume, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from genav.media import probe, read_audio, read_frames, write_audio
from tests.cli.conftest import FAST, make_clip


def genav(*args: str) -> subprocess.CompletedProcess:
    """In-process run (fast: torch is imported once) with the same exit codes as the command."""
    from typer.testing import CliRunner

    from genav.cli.app import app

    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def genav_process(*args: str) -> subprocess.CompletedProcess:
    """A real process, for what only a process shows: the one-line error output of main()."""
    return subprocess.run([sys.executable, "-m", "genav", *args], capture_output=True, text=True)


def one_line_error(proc: subprocess.CompletedProcess, text: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("genav: error:") and text in lines[-1], proc.stderr


def test_t2a_single_sidecar_and_overwrite(tmp_path):
    out = tmp_path / "dog.wav"
    proc = genav("t2a", "a dog barking", "-o", str(out), "--duration", "1", *FAST)
    assert proc.returncode == 0, proc.stderr
    audio = read_audio(out)
    assert audio.sample_rate == 16000 and audio.n_samples == 16000
    side = json.loads((tmp_path / "dog.wav.json").read_text())
    assert side["model"] == "debug-foley" and side["seeds"] == [7] and side["genav_version"]
    assert side["settings"]["num_steps"] == 2 and "sampling" in side["timings"]
    assert side["peak_before_gain"][0] > 0
    assert f"wrote {out}" in proc.stderr
    before = out.read_bytes()
    proc = genav_process("t2a", "a cat", "-o", str(out), "--duration", "1", *FAST)
    one_line_error(proc, "output exists")
    assert out.read_bytes() == before
    proc = genav("t2a", "a cat", "-o", str(out), "--duration", "1", "--overwrite", *FAST)
    assert proc.returncode == 0 and out.read_bytes() != before
    # a sidecar beside a missing output may be the user's own file: kept unless --overwrite
    (tmp_path / "cat.wav.json").write_text("mine")
    proc = genav_process("t2a", "a cat", "-o", str(tmp_path / "cat.wav"), "--duration", "1", *FAST)
    one_line_error(proc, "output exists")
    assert "cat.wav.json" in proc.stderr and (tmp_path / "cat.wav.json").read_text() == "mine"
    assert not (tmp_path / "cat.wav").exists()


def test_setting_flags_have_their_api_names_too(tmp_path):
    """--num-steps / --guidance-scale are the API's names of --steps / --cfg (one name per setting)."""
    out = tmp_path / "bell.wav"
    proc = genav("t2a", "a bell", "-o", str(out), "--duration", "0.5", "--model", "debug-foley",
                 "--num-steps", "3", "--guidance-scale", "2.5", "--seed", "1")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    settings = json.loads((tmp_path / "bell.wav.json").read_text())["settings"]
    assert settings["num_steps"] == 3 and settings["guidance_scale"] == 2.5


def test_t2a_manifest_per_row_settings(tmp_path):
    manifest = tmp_path / "prompts.jsonl"
    rows = [{"name": "a", "prompt": "rain on a roof", "duration": 0.5}, {"name": "b", "prompt": "a door slams", "seed": 3}]
    manifest.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    proc = genav("t2a", str(manifest), "-o", str(tmp_path / "out"), "--duration", "1", "--num-outputs", "2", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert read_audio(tmp_path / "out" / "a-0.wav").n_samples == 8000
    assert read_audio(tmp_path / "out" / "b-1.wav").n_samples == 16000
    assert json.loads((tmp_path / "out" / "b.wav.json").read_text())["seeds"] == [3, 4]


def test_one_long_item_shows_a_progress_bar_per_step(tmp_path, clip, monkeypatch):
    monkeypatch.setenv("GENAV_PROGRESS", "1")
    proc = genav_process("foley", str(clip), "-o", str(tmp_path / "o.mp4"), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "2/2" in proc.stderr and "step" in proc.stderr  # tqdm: clip: 100%|...| 2/2 [..., step/s]
    assert proc.stderr.strip().splitlines()[-1] == f"wrote {tmp_path / 'o.mp4'}"


def test_v2a_single_copies_the_picture(tmp_path, clip):
    out = tmp_path / "foley.mp4"
    proc = genav("v2a", str(clip), "-o", str(out), "--prompt", "a ball bouncing", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert np.array_equal(read_frames(out), read_frames(clip))
    info = probe(out)
    assert info.has_audio
    audio = read_audio(out)
    assert abs(audio.duration - info.video_duration) <= 1024 / audio.sample_rate


def test_v2a_audio_only_and_mix_original(tmp_path, clip):
    proc = genav("foley", str(clip), "-o", str(tmp_path / "s.wav"), "--audio-only", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert abs(read_audio(tmp_path / "s.wav").duration - 1.5) < 0.02
    proc = genav("v2a", str(clip), "-o", str(tmp_path / "mix.mp4"), "--mix-original", "-6", *FAST)
    assert proc.returncode == 0, proc.stderr
    mixed = read_audio(tmp_path / "mix.mp4", sample_rate=16000, mono=True).samples[0]
    spectrum = np.abs(np.fft.rfft(mixed))
    freqs = np.fft.rfftfreq(mixed.size, 1 / 16000)
    tone = spectrum[(freqs > 430) & (freqs < 450)].max()
    assert tone > 20 * np.median(spectrum)  # the clip's own 440 Hz tone is still under the new sound


def test_v2a_reads_a_fast_clip_in_phases_unless_told(tmp_path):
    fast = make_clip(tmp_path / "in" / "fast.mp4", fps=25.0)
    for extra, phases in (([], 3), (["--sync-phases", "1"], 1)):
        out = tmp_path / f"p{phases}.wav"
        proc = genav("foley", str(fast), "-o", str(out), *extra, *FAST)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(out.with_name(out.name + ".json").read_text())["settings"]["sync_phases"] == phases
    proc = genav("foley", str(fast), "-o", str(tmp_path / "bad.wav"), "--sync-phases", "0", *FAST)
    assert proc.returncode == 2 and "--sync-phases" in proc.stderr


def test_v2a_folder_continues_past_a_bad_item(tmp_path):
    src = tmp_path / "videos"
    make_clip(src / "a.mp4")
    make_clip(src / "c.mp4", seed=1)
    (src / "b.mp4").write_text("not a video")
    proc = genav("v2a", str(src), "-o", str(tmp_path / "out"), *FAST)
    assert proc.returncode == 1
    assert (tmp_path / "out" / "a.mp4").exists() and (tmp_path / "out" / "c.mp4").exists()
    assert not (tmp_path / "out" / "b.mp4").exists()
    assert "done 2, skipped 0, failed 1" in proc.stderr and "b:" in proc.stderr


def test_resume_after_interrupt_gives_the_same_files(tmp_path):
    src = tmp_path / "videos"
    for k in range(4):
        make_clip(src / f"v{k}.mp4", seed=k)
    whole = genav("v2a", str(src), "-o", str(tmp_path / "whole"), "--audio-only", *FAST)
    assert whole.returncode == 0, whole.stderr
    args = [sys.executable, "-m", "genav", "v2a", str(src), "-o", str(tmp_path / "cut"), "--audio-only", *FAST]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (tmp_path / "cut" / "v0.wav.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = sorted(p.name for p in (tmp_path / "cut").glob("*.json"))
    assert "v0.wav.json" in done_before and len(done_before) < 4, "the run was not interrupted mid-batch"
    resumed = genav("v2a", str(src), "-o", str(tmp_path / "cut"), "--audio-only", *FAST)
    assert resumed.returncode == 0, resumed.stderr
    assert "skipped" in resumed.stderr
    for k in range(4):
        assert (tmp_path / "cut" / f"v{k}.wav").read_bytes() == (tmp_path / "whole" / f"v{k}.wav").read_bytes()
    assert not [p for p in (tmp_path / "cut").iterdir() if ".part" in p.name]


def test_t2a_longer_than_the_model_window_from_a_folder(tmp_path):
    from genav.pipelines import TextToAudioPipeline

    folder = TextToAudioPipeline.from_pretrained("debug-foley").save_pretrained(tmp_path / "m")
    seconds = TextToAudioPipeline.from_pretrained(folder).max_duration + 1.5
    out = tmp_path / "long.wav"
    proc = genav("t2a", "rain", "-o", str(out), "--duration", f"{seconds:g}", "--model", str(folder), "--steps", "1")
    assert proc.returncode == 0, proc.stderr
    assert read_audio(out).n_samples == round(seconds * 16000)
    assert len(json.loads((tmp_path / "long.wav.json").read_text())["settings"]["windows"]) == 2


def test_window_option_of_t2a_and_v2a(tmp_path, clip):
    out = tmp_path / "rain.wav"
    proc = genav("t2a", "rain", "-o", str(out), "--duration", "2.5", "--window", "1", *FAST)
    assert proc.returncode == 0, proc.stderr
    side = json.loads((tmp_path / "rain.wav.json").read_text())["settings"]
    assert side["window"] == 1.0 and len(side["windows"]) == 4 and read_audio(out).n_samples == 40000
    video_out = tmp_path / "v.wav"
    proc = genav("v2a", str(clip), "-o", str(video_out), "--window", "1", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "v.wav.json").read_text())["settings"]["window"] == 1.0
    from genav.errors import InputError

    with pytest.raises(InputError, match="window must be in"):
        genav("t2a", "rain", "-o", str(tmp_path / "w.wav"), "--window", "1000", *FAST)
    assert not (tmp_path / "w.wav").exists()
    from genav.cli.generate import _windowing

    with pytest.raises(InputError, match="--window works with genav models"):
        _windowing(object(), 2.0)  # e.g. a diffusers Stable Audio Open folder


def test_bad_inputs_are_one_line_errors_without_outputs(tmp_path, clip):
    out = tmp_path / "x.wav"
    from genav.errors import GenavError

    cases = [
        (["t2a", "  ", "-o", str(out)], "prompt"),
        (["t2a", "rain", "-o", str(out), "--duration", "0"], "duration"),
        (["t2a", "rain", "-o", str(out), "--duration", "100000"], "maximum"),
        (["t2a", "rain", "-o", str(out), "--model", "debug-foly"], "debug-foley"),
    ]
    for args, text in cases:
        with pytest.raises(GenavError, match=text):
            genav(*(args if "--model" in args else [*args, *FAST]))
    audio_file = tmp_path / "tone.wav"
    write_audio(audio_file, read_audio(clip))
    one_line_error(genav_process("v2a", str(audio_file), "-o", str(tmp_path / "y.mp4"), *FAST), "not a video")
    assert not out.exists() and not (tmp_path / "y.mp4").exists()
    assert not list(tmp_path.glob("*.json"))


def test_t2a_with_a_local_diffusers_stable_audio_folder(tmp_path):
    from genav.pipelines.diffusers_tiny import save_tiny_stable_audio

    folder = save_tiny_stable_audio(tmp_path / "stable-audio-tiny")
    out = tmp_path / "sa.wav"
    proc = genav("t2a", "a bell", "-o", str(out), "--model", str(folder), "--duration", "1.5", "--steps", "2", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    audio = read_audio(out)
    assert audio.n_samples == round(1.5 * audio.sample_rate)  # exactly the requested duration
    assert json.loads((tmp_path / "sa.wav.json").read_text())["model"] == "stable-audio-tiny"


def test_readme_main_job_uses_the_embedded_default(tmp_path):
    """The README's main command: the bundled silent clip, the embedded default model."""
    from genav.registry import CHECKPOINTS_DIR

    clip = CHECKPOINTS_DIR / "examples" / "silent_clip.mp4"
    out = tmp_path / "silent_clip_foley.mp4"
    proc = genav("foley", str(clip), "-o", str(out), "--steps", "2", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr  # the embedded default exists: no fallback to debug-foley
    side = json.loads((tmp_path / "silent_clip_foley.mp4.json").read_text())
    assert side["model"] == "genav-foley-tiny"
    assert np.array_equal(read_frames(out), read_frames(clip))
    assert abs(read_audio(out).duration - probe(clip).video_duration) < 0.07


def test_t2a_default_is_the_text_trained_model(tmp_path):
    """``genav t2a`` without --model uses genav-t2a-small (trained for text), not the V2A default."""
    out = tmp_path / "rain.wav"
    proc = genav("t2a", "rain on a tin roof", "-o", str(out), "--duration", "1", "--steps", "2", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    assert json.loads((tmp_path / "rain.wav.json").read_text())["model"] == "genav-t2a-small"
    assert read_audio(out).n_samples == 16000
