"""`genav t2v`, `genav bench t2v`, `genav train t2v --probe`: outputs, sidecars, batches, bad input."""

from __future__ import annotations

import json
import re

import pytest

from genav.errors import GenavError
from genav.media import probe
from tests.cli.test_generate import genav, genav_process, one_line_error

FAST = ["--model", "debug-t2v", "--steps", "2", "--seed", "5"]


def test_single_video_with_timed_prompt_and_sidecar(tmp_path):
    out = tmp_path / "ball.mp4"
    proc = genav("t2v", "a red ball bounces", "-o", str(out), "--duration", "1.5", "--at", "0.5:the ball hits the floor",
                 *FAST)
    assert proc.returncode == 0, proc.stderr
    info = probe(out)
    assert info.n_frames == 12 and abs(info.fps - 8.0) < 1e-6 and (info.width, info.height) == (32, 32)
    side = json.loads((tmp_path / "ball.mp4.json").read_text())
    assert side["model"] == "debug-t2v" and side["seeds"] == [5] and side["task"] == "t2v"
    assert side["settings"]["timed_prompts"] == [[0.5, "the ball hits the floor"]] and "sampling" in side["timings"]
    before = out.read_bytes()
    one_line_error(genav_process("t2v", "a box", "-o", str(out), *FAST), "output exists")
    assert out.read_bytes() == before


def test_manifest_batch_resumes_and_reports_bad_rows(tmp_path):
    manifest = tmp_path / "prompts.jsonl"
    rows = [{"name": "a", "prompt": "a red ball"}, {"name": "b", "prompt": "a grey door", "duration": 0.5},
            {"name": "c", "prompt": "a box", "duration": 500}]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    proc = genav("t2v", str(manifest), "-o", str(out), *FAST)
    assert proc.returncode == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", "a.mp4.json", "b.mp4", "b.mp4.json"]  # c: nothing
    assert probe(out / "b.mp4").n_frames == 4
    assert "c: " in proc.stderr and "above the limit of 480" in proc.stderr
    again = genav("t2v", str(manifest), "-o", str(out), *FAST)
    assert "skipped 2 finished" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frames", "0"], "at least 1 frame"),
        (["--duration", "600"], "above the limit of 480 (60 s at 8 fps)"),
        (["--at", "late"], "--at wants SECONDS:PHRASE"),
        (["--at", "3.0:bang"], "outside the clip"),
        (["--model", "debug-foley"], "is a foley model, not a text-to-video model"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, args, message):
    # in-process: the command raises the GenavError that main() prints as one line (shown above)
    with pytest.raises(GenavError, match=re.escape(message)):
        genav("t2v", "a ball", "-o", str(tmp_path / "x.mp4"), *FAST, *args)
    assert list(tmp_path.iterdir()) == []


def test_output_must_be_a_video_and_folders_of_the_wrong_kind(tmp_path):
    with pytest.raises(GenavError, match=r"unknown container '.wav' \(choose one of .mp4"):
        genav("t2v", "a ball", "-o", str(tmp_path / "x.wav"), *FAST)
    for bad in (["-o", str(tmp_path / "x.gif")], ["-o", str(tmp_path / "x.mp4"), "--fps", "0"],
                ["-o", str(tmp_path / "x.mp4"), "--fps", "100000"]):
        with pytest.raises(GenavError, match="unknown container|fps must be > 0 and at most 120"):
            genav("t2v", "a ball", *bad, *FAST)
    (tmp_path / "empty").mkdir()
    with pytest.raises(GenavError, match="not a text-to-video model"):
        genav("t2v", "a ball", "-o", str(tmp_path / "x.mp4"), "--model", str(tmp_path / "empty"), "--steps", "1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


@pytest.mark.slow  # the same loading path is in tests/pipelines/test_t2v_diffusers.py
@pytest.mark.parametrize("kind", ["unet3d", "wan"])
def test_diffusers_folder_through_model_dir(tiny_video_dirs, tmp_path, kind):
    out = tmp_path / f"{kind}.mp4"
    proc = genav("t2v", "a dog", "-o", str(out), "--model", str(tiny_video_dirs[kind]), "--frames", "9",
                 "--steps", "1", "--seed", "0", "--at", "0.2:bark")
    assert proc.returncode == 0, proc.stderr
    side = json.loads((tmp_path / f"{kind}.mp4.json").read_text())
    assert side["model"] == f"tiny-{kind}" and probe(out).n_frames == 9


def test_bench_t2v_reports_speed_and_memory():
    proc = genav("bench", "t2v", "--model", "debug-t2v", "--seconds", "1", "--steps", "2", "--threads", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["frames"] == 8 and res["seconds_of_video"] == 1.0 and res["threads"] == 1
    assert res["s_per_video_s"] > 0 and res["peak_rss_mib"] > 50 and res["generate_s"] > 0


def test_train_t2v_probe_times_the_recipe(tmp_path):
    from genav.pipelines.video_backbones import DEBUG_T2V_CONFIG
    from genav.train.recipe import DataSpec, Recipe, SynthSpec

    recipe = Recipe(task="t2v", model=DEBUG_T2V_CONFIG.to_dict(), data=DataSpec(synth=SynthSpec(clips=4)), batch_size=2)
    recipe.save(tmp_path / "r.json")
    proc = genav("train", "t2v", "--recipe", str(tmp_path / "r.json"), "--probe", "2", "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    assert "s per step over 2 steps" in proc.stdout and "steps per hour" in proc.stdout
