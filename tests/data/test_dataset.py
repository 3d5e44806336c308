"""ManifestDataset and collate_batch on the SFX set, synthetic sets and files made here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from genav.data import ManifestDataset, collate_batch
from genav.data.synth import generate_clip


def test_every_sfx_file_loads(sfx_dir, sfx_manifest):
    ds = ManifestDataset(sfx_dir / "manifest.jsonl", sample_rate=16000, mono=False, fps=10)
    assert len(ds) == len(sfx_manifest)
    channels, suffixes, rates = set(), set(), set()
    for i in range(len(ds)):
        item = ds[i]
        row = sfx_manifest[i]
        audio = item["audio"]
        assert audio.dtype == torch.float32 and audio.ndim == 2 and torch.isfinite(audio).all()
        assert audio.shape[1] == pytest.approx(row["duration_s"] * 16000, abs=0.02 * 16000 + 2)
        assert item["frames"] is None and item["caption"] == row["caption"] and item["label"] == row["label"]
        channels.add(audio.shape[0])
        suffixes.add(Path(row["file"]).suffix)
        rates.add(sf.info(str(sfx_dir / row["file"])).samplerate)
    assert (
        channels == {1, 2}
        and {".ogg", ".wav", ".oga"} <= suffixes
        and min(rates) <= 11025 < 48000 <= max(rates)
    )


def test_sfx_mono_crops_batch(sfx_dir):
    ds = ManifestDataset(sfx_dir / "manifest.jsonl", sample_rate=22050, crop_seconds=1.0, seed=3)
    batch = collate_batch([ds[i] for i in range(0, 40, 5)])
    assert batch["audio"].shape == (8, 1, 22050) and batch["frames"] is None and batch["frames_mask"] is None
    assert len(batch["caption"]) == 8


def _make_video(path: Path, codec: str, channels: int, seconds: float = 2.0) -> Path:
    from genav.media import ffmpeg_exe

    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=80x60:rate=15:duration={seconds}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=44100:duration={seconds}",
        "-ac",
        str(channels),
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        codec,
        "-shortest",
        str(path),
    ]
    subprocess.run(cmd, check=True)
    return path


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("videos")
    _make_video(folder / "aac.mp4", "aac", 2)
    _make_video(folder / "mp3.mp4", "libmp3lame", 1)
    rows = [
        {"file": "aac.mp4", "caption": "a tone, stereo AAC"},
        {"file": "mp3.mp4", "caption": "a tone, MP3"},
    ]
    (folder / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def test_mp4_with_aac_and_mp3_audio(videos):
    ds = ManifestDataset(videos / "m.jsonl", sample_rate=16000, mono=False, fps=10, size=(32, 24))
    aac, mp3 = ds[0], ds[1]
    assert aac["audio"].shape[0] == 2 and mp3["audio"].shape[0] == 1
    for item in (aac, mp3):
        assert item["audio"].shape[1] == pytest.approx(32000, abs=1200)
        spectrum = np.abs(np.fft.rfft(item["audio"][0, 4000:12000].numpy()))
        assert np.argmax(spectrum) * 16000 / 8000 == pytest.approx(440, abs=4)  # the tone survives decoding
        assert item["frames"].dtype == torch.uint8 and tuple(item["frames"].shape[1:]) == (24, 32, 3)
        assert abs(item["frames"].shape[0] - 20) <= 1
    batch = collate_batch([aac, mp3])  # mono is repeated to stereo
    assert batch["audio"].shape[:2] == (2, 2) and torch.equal(batch["audio"][1, 0], batch["audio"][1, 1])


def test_crops_are_exact_deterministic_and_change_with_epoch(videos):
    ds = ManifestDataset(videos / "m.jsonl", sample_rate=16000, fps=10, crop_seconds=0.5, seed=1)
    first = [ds[i] for i in range(2)]
    again = [ds[i] for i in range(2)]
    for a, b in zip(first, again, strict=True):
        assert (
            a["start"] == b["start"]
            and torch.equal(a["audio"], b["audio"])
            and torch.equal(a["frames"], b["frames"])
        )
        assert a["audio"].shape == (1, 8000) and abs(a["frames"].shape[0] - 5) <= 1
        assert 0.0 <= a["start"] <= 1.5 and round(a["start"] * 10) == pytest.approx(
            a["start"] * 10
        )  # frame grid
    starts = {ds[0]["start"]}
    for epoch in range(1, 6):
        ds.set_epoch(epoch)
        starts.add(ds[0]["start"])
    assert len(starts) > 1
    other = ManifestDataset(videos / "m.jsonl", sample_rate=16000, crop_seconds=0.5, seed=2)
    assert (
        any(other[i]["start"] != first[i]["start"] for i in range(2)) or other[0]["start"] != ds[0]["start"]
    )


def test_window_from_start_and_end(tmp_path):
    rate = 8000
    t = np.arange(3 * rate) / rate
    sf.write(tmp_path / "ramp.wav", (t / 3).astype(np.float32), rate)
    (tmp_path / "m.jsonl").write_text(
        json.dumps(
            {
                "file": "ramp.wav",
                "start": 1.0,
                "end": 2.5,
                "events": [{"time": 0.5}, {"time": 1.5}, {"time": 2.6}],
            }
        )
        + "\n"
    )
    item = ManifestDataset(tmp_path / "m.jsonl", sample_rate=rate)[0]
    assert item["audio"].shape == (1, int(1.5 * rate)) and item["start"] == 1.0
    assert item["audio"][0, 0].item() == pytest.approx(1 / 3, abs=1e-3)
    assert [e["time"] for e in item["events"]] == [pytest.approx(0.5)]  # relative, others outside
    short = ManifestDataset(tmp_path / "m.jsonl", sample_rate=rate, crop_seconds=4.0)[0]
    assert short["audio"].shape == (1, 4 * rate) and short["start"] == 1.0  # padded, not shifted


def test_collate_pads_and_masks():
    items = [
        {
            "name": "a",
            "audio": torch.ones(1, 5),
            "frames": torch.ones(3, 4, 4, 3, dtype=torch.uint8),
            "caption": "x",
        },
        {"name": "b", "audio": torch.ones(1, 8), "frames": None, "caption": "y"},
        {
            "name": "c",
            "audio": torch.ones(1, 2),
            "frames": torch.ones(2, 4, 4, 3, dtype=torch.uint8),
            "caption": "z",
        },
    ]
    batch = collate_batch(items)
    assert batch["audio"].shape == (3, 1, 8) and batch["audio_mask"].sum(1).tolist() == [5, 8, 2]
    assert batch["audio"][0, 0, 5:].abs().sum() == 0
    assert batch["frames"].shape == (3, 3, 4, 4, 3) and batch["frames_mask"].sum(1).tolist() == [3, 0, 2]
    assert batch["frames"][2, 2].sum() == 0 and batch["name"] == ["a", "b", "c"]
    items[1]["frames"] = torch.ones(3, 5, 4, 3, dtype=torch.uint8)
    with pytest.raises(Exception, match="different sizes"):
        collate_batch(items)


def test_synth_manifest_works_as_is(synth_dir, synth_rows):
    ds = ManifestDataset(synth_dir / "manifest.jsonl", sample_rate=16000, fps=10)
    item = ds[0]
    clip = generate_clip(synth_rows[0]["seed"])
    assert item["name"] == synth_rows[0]["id"] and item["caption"] == clip.caption
    assert tuple(item["frames"].shape) == (40, 64, 64, 3)
    # the sound comes from the exact wav beside the mp4 (16-bit PCM of the generated samples)
    assert np.abs(item["audio"][0].numpy() - clip.audio).max() < 1e-4
    assert [e["time"] for e in item["events"]] == [e.time for e in clip.events]
    # the picture decodes close to the generated frames (H.264, crf 18)
    assert np.abs(item["frames"].numpy().astype(int) - clip.frames).mean() < 3.0
    split = ManifestDataset(
        synth_dir / "manifest.jsonl", sample_rate=16000, split="test", crop_seconds=2.0, fps=10
    )
    batch = collate_batch([split[i] for i in range(len(split))])
    assert batch["audio"].shape == (4, 1, 32000) and batch["frames"].shape[:2] in ((4, 20), (4, 21))
