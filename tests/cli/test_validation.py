"""Every option and input is checked before any model loads; pictures a container cannot hold are
found before generation (re-encoded with a notice, or a one-line error naming what works)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genav.errors import GenavError
from genav.media import probe, read_audio
from tests.cli.conftest import FAST, make_clip
from tests.cli.test_generate import genav, genav_process, one_line_error
from tests.media.timing_clips import ffmpeg


@pytest.fixture
def no_model(monkeypatch):
    """Loading any model fails the test: the checks must come first."""
    from genav.pipelines import TextToAudioPipeline, VideoToAudioPipeline

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded before the options were checked")

    monkeypatch.setattr(VideoToAudioPipeline, "from_pretrained", classmethod(forbidden))
    monkeypatch.setattr(TextToAudioPipeline, "from_pretrained", classmethod(forbidden))


V2A_CASES = [
    (["--mix-original", "6"], "--mix-original is the clip's own sound's gain in dB and must be finite and <= 0"),
    (["--mix-original", "-inf"], "must be finite and <= 0"),
    (["--mix-original", "nan"], "--mix-original"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--cfg", "-1"], "--cfg must be a finite number >= 0"),
    (["--steps", "5000"], "--steps must be at least 1 and at most 1000"),
    (["--cfg", "inf"], "--cfg"),
    (["--text-cfg", "-2"], "--text-cfg"),
    (["--video-cfg", "nan"], "--video-cfg"),
    (["--seed", "-1"], "--seed must be in 0.."),
    (["--method", "rk4"], "--method must be one of euler"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--dtype", "int8"], "unknown dtype 'int8'"),
    (["--duration", "0"], "duration must be more than 0"),
    (["--duration", "9"], "longer than the picture"),
    (["--prompt", "  "], "--prompt is empty"),
    (["--negative-prompt", ""], "--negative-prompt is empty"),
    (["-n", "0"], "--num-outputs"),
]


@pytest.mark.parametrize(("args", "message"), V2A_CASES)
def test_v2a_options_before_any_model_loads(no_model, clip, tmp_path, args, message):
    with pytest.raises(GenavError, match=message.replace("(", r"\(").replace(".", r"\.")):
        genav("foley", str(clip), "-o", str(tmp_path / "out.mp4"), "--model", "debug-foley", *args)
    assert not (tmp_path / "out.mp4").exists()


def test_v2a_inputs_and_outputs_before_any_model_loads(no_model, clip, tmp_path):
    cases = [
        ([str(tmp_path / "missing.mp4"), "-o", str(tmp_path / "o.mp4")], "not found"),
        ([str(clip), "-o", str(tmp_path / "o.avi")], "unknown container '.avi'"),
        ([str(clip), "-o", str(tmp_path / "o.mp4"), "--audio-only"], "cannot write audio to"),
        ([str(clip), "-o", str(clip)], "output exists"),
        ([str(clip), "-o", str(tmp_path / "o.mp4"), "--model", "nope"], "unknown model"),
    ]
    for args, message in cases:
        with pytest.raises(GenavError, match=message):
            genav("foley", *args, "--model", "debug-foley") if "--model" not in args else genav(
                "foley", *args
            )
    text = tmp_path / "text.mp4"
    text.write_text("not a video")
    with pytest.raises(GenavError, match="not a media file"):
        genav("foley", str(text), "-o", str(tmp_path / "o.mp4"), "--model", "debug-foley")
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "photo.png", np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(GenavError, match="is a still image"):
        genav("foley", str(tmp_path / "photo.png"), "-o", str(tmp_path / "o.mp4"), "--model", "debug-foley")


def test_t2a_options_before_any_model_loads(no_model, tmp_path):
    out = str(tmp_path / "x.wav")
    cases = [
        (["rain", "-o", out, "--duration", "-1"], "duration must be more than 0"),
        (["rain", "-o", out, "--duration", "0.0001"], "below the minimum of 0.05 s"),
        (["rain", "-o", out, "--duration", "100000", "--model", "genav-foley-tiny"], "maximum of 600 s"),
        (["rain", "-o", str(tmp_path / "x.xyz")], "unknown format '.xyz'"),
        (["  ", "-o", out], "prompt is empty"),
        (["rain", "-o", out, "--steps", "0"], "--steps"),
        (["rain", "-o", out, "--cfg", "-3"], "--cfg"),
    ]
    for args, message in cases:
        model = [] if "--model" in args else ["--model", "debug-foley"]
        with pytest.raises(GenavError, match=message):
            genav("t2a", *args, *model)


def test_help_texts_match_what_is_accepted(clip, tmp_path):
    help_text = " ".join(genav("foley", "--help").stdout.split())
    assert "gain in dB, <= 0" in help_text and "e.g. -12" in help_text
    proc = genav("foley", str(clip), "-o", str(tmp_path / "m.mp4"), "--mix-original", "-12", *FAST)
    assert proc.returncode == 0, proc.stderr  # the help text's own example works
    proc = genav_process("foley", str(clip), "-o", str(tmp_path / "n.mp4"), "--mix-original", "12", *FAST)
    one_line_error(proc, "must be finite and <= 0")


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    src = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1.5"]
    return {
        "gif": ffmpeg(*src, out=folder / "anim.gif"),
        "prores": ffmpeg(
            *src,
            "-c:v",
            "prores_ks",
            "-profile:v",
            "4444",
            "-pix_fmt",
            "yuva444p10le",
            out=folder / "alpha.mov",
        ),  # fmt: skip
        "h264": ffmpeg(*src, "-c:v", "libx264", "-pix_fmt", "yuv420p", out=folder / "clip.mp4"),
    }


def test_gif_is_reencoded_with_a_notice(pictures, tmp_path):
    out = tmp_path / "anim.mp4"
    proc = genav("foley", str(pictures["gif"]), "-o", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "gif video cannot be stream-copied into .mp4; re-encoding the picture as H.264" in proc.stderr
    info, source = probe(out), probe(pictures["gif"])
    assert info.video_codec == "h264" and info.has_audio and info.n_frames == source.n_frames
    np.testing.assert_allclose(info.frame_times, source.frame_times, atol=1e-3)  # the frame times are kept
    assert abs(read_audio(out).duration - 1.5) <= 1024 / 16000
    assert json.loads((tmp_path / "anim.mp4.json").read_text())["picture_muxed"] == "re-encoded"


@pytest.mark.parametrize(
    ("name", "output", "message"),
    [
        (
            "prores",
            "x.mp4",
            r"prores \(4444\) video cannot be stream-copied into \.mp4; containers that hold it: "
            r"\.mov, \.mkv \(write one of those, or pass --reencode",
        ),  # fmt: skip
        (
            "h264",
            "x.webm",
            r"h264 \(High\) video cannot be stream-copied into \.webm; containers that hold it: "
            r"\.mp4, \.mov, \.mkv",
        ),  # fmt: skip
    ],
)
def test_pictures_the_container_cannot_hold_fail_before_generation(
    no_model, pictures, tmp_path, name, output, message
):
    with pytest.raises(GenavError, match=message):
        genav("foley", str(pictures[name]), "-o", str(tmp_path / output), "--model", "debug-foley")
    assert list(tmp_path.iterdir()) == []


def test_reencode_on_request(pictures, tmp_path):
    out = tmp_path / "x.mp4"
    proc = genav("foley", str(pictures["prores"]), "-o", str(out), "--reencode", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "transparency is dropped" in proc.stderr
    assert probe(out).video_codec == "h264" and probe(out).n_frames == 15


def test_folder_batches_take_gifs(pictures, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "anim.gif").write_bytes(pictures["gif"].read_bytes())
    make_clip(folder / "plain.mp4")
    proc = genav("foley", str(folder), "-o", str(tmp_path / "out"), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp4")) == ["anim.mp4", "plain.mp4"]
