"""Encoding foley training clips once: videos of several frame rates at the model's fps, audio-only
rows without video, every caption variant, shards split over processes, bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from genav.checkpoint import load_safetensors
from genav.codecs import build_codec
from genav.data.shards import ShardIndex, read_shard_rows, read_window, shard_name
from genav.encoders import build_text_encoder
from genav.encoders.video import VideoEncoder
from genav.errors import DataError
from genav.models import debug_config
from genav.train.foley_data import ClipEncoder, encode_shards, finish_shards, item_captions

CFG = debug_config()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 1.2 s synthetic videos at 10 fps, two at 25 fps, two sound files with caption lists."""
    from genav.data.synth import SynthSettings, write_synth_dataset

    root = tmp_path_factory.mktemp("mixed")
    rows = []
    for fps in (10, 25):
        settings = SynthSettings(duration=1.2, fps=fps, width=32, height=32, n_events=(1, 2))
        write_synth_dataset(root / f"fps{fps}", 2, seed=fps, settings=settings, workers=0, progress=False)
        for line in (root / f"fps{fps}" / "manifest.jsonl").read_text().splitlines():
            row = json.loads(line)
            rows.append({**row, "file": f"fps{fps}/{row['file']}", "audio": f"fps{fps}/{row['audio']}"})
    for k in range(2):
        sf.write(
            root / f"sfx{k}.wav", np.sin(np.arange(8000 * (k + 1)) * 0.05).astype(np.float32) * 0.3, 16000
        )
        rows.append(
            {
                "file": f"sfx{k}.wav",
                "caption": f"a tone {k}",
                "label": "tone",
                "captions": [f"a tone {k}", f"a steady hum {k}"],
            }
        )
    path = root / "manifest.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _encoder(**changes) -> ClipEncoder:
    video = VideoEncoder(CFG.video).eval()
    options = {"variants": True, "label": True, **changes}
    return ClipEncoder(
        build_codec(CFG.codec),
        build_text_encoder(CFG.text_encoder),
        CFG.text_encoder,
        video,
        CFG.video.fps,
        CFG.video.frame_size,
        **options,
    )


def test_clips_are_encoded_at_the_models_fps_with_every_caption(manifest: Path, tmp_path: Path) -> None:
    enc = _encoder()
    shards = encode_shards(manifest, None, tmp_path, enc, rows_per_shard=4, skip_bad_rows=False)
    assert shards == 2
    finish_shards(tmp_path, shards, enc, {"manifest": str(manifest)})
    index = ShardIndex.open(tmp_path)
    assert len(index) == 6
    frames = index.arrays["frame_len"].tolist()
    assert frames == [12, 12, 12, 12, 0, 0]  # 1.2 s at 10 fps, whether the file is 10 or 25 fps
    assert index.arrays["valid_frames"].tolist()[:4] == [75] * 4  # 1.2 s at 62.5 latent frames/s
    meta = index.row_meta(5)
    # "a steady hum 1" is the row's held-out caption (smallest template): never encoded for training
    assert meta["captions"] == ["a tone 1", "tone"] and index.arrays["variants"][5] == 2
    w = read_window(index, 2, start=0, frames=75, video=(0, 12), variant=0)
    assert w["semantic"].shape == (12, 32, 32, 3) and w["semantic"].dtype == torch.uint8
    assert w["frames_mask"].all() and w["motion"][1:].abs().sum() > 0
    tail = read_window(index, 4, start=40, frames=60, video=None, variant=0)["latents"]
    torch.testing.assert_close(tail[:, -1], index.silence)  # past the 0.5 s clip and its tail: silence


def test_processes_encode_their_own_shards_into_the_same_index(manifest: Path, tmp_path: Path) -> None:
    enc = _encoder(label=False)
    single, split = tmp_path / "one", tmp_path / "two"
    n = encode_shards(manifest, None, single, enc, rows_per_shard=2, skip_bad_rows=False)
    for rank in (1, 0):
        assert (
            encode_shards(
                manifest,
                None,
                split,
                enc,
                rows_per_shard=2,
                skip_bad_rows=False,
                process_index=rank,
                num_processes=2,
            )
            == n
            == 3
        )
        written = sorted(p.name for p in split.glob("shard-*"))
        assert written == ([shard_name(1)] if rank == 1 else [shard_name(k) for k in range(3)])
    for folder in (single, split):
        finish_shards(folder, n, enc, {})
    a, b = ShardIndex.open(single), ShardIndex.open(split)
    assert all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays)
    ta, tb = load_safetensors(single / shard_name(2)), load_safetensors(split / shard_name(2))
    assert ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)
    assert read_shard_rows(single / shard_name(2)) == read_shard_rows(split / shard_name(2))
    assert read_shard_rows(split / shard_name(2))[1]["captions"] == ["a tone 1"]  # held-out variant left out


def test_bad_rows_are_skipped_or_named(manifest: Path, tmp_path: Path) -> None:
    bad = manifest.with_name("bad.jsonl")
    (manifest.parent / "broken.wav").write_bytes(b"not a wav file")
    bad.write_text(manifest.read_text().replace('"sfx1.wav"', '"broken.wav"'))
    enc = _encoder()
    with pytest.raises(DataError, match="row 6"):
        encode_shards(bad, None, tmp_path / "strict", enc, rows_per_shard=8, skip_bad_rows=False)
    encode_shards(bad, None, tmp_path / "lenient", enc, rows_per_shard=8, skip_bad_rows=True)
    assert [r["name"] for r in read_shard_rows(tmp_path / "lenient" / shard_name(0))][-1] == "sfx0"


def test_item_captions_leave_out_the_held_out_variant() -> None:
    from genav.data.manifest import ManifestRow

    captions = ["a dog barks", "dog barking, loud", "b: a dog", " "]
    row = ManifestRow(row=1, file=Path("x.wav"), caption="a dog barks", label="dog", data={"captions": captions})
    # "a dog barks" has the smallest template key, so evaluation keeps it and training never sees it
    assert item_captions(row, variants=True, label=True) == ["dog barking, loud", "b: a dog", "dog"]
    assert item_captions(row, variants=False, label=False) == ["dog barking, loud"]
    single = ManifestRow(row=1, file=Path("x.wav"), caption="a", label="dog")
    assert item_captions(single, variants=True, label=False) == ["a"]
    empty = ManifestRow(row=1, file=Path("x.wav"), caption="")
    assert item_captions(empty, variants=True, label=True) == [""]


def test_training_on_sounds_and_videos_with_lengths_per_step(manifest: Path, tmp_path: Path) -> None:
    """Audio-only rows and videos of two frame rates in one run, a window length per step, caption
    variants with the label, text dropout, DataLoader workers: trains and writes a model folder."""
    from genav.train.foley import train_foley
    from genav.train.recipe import load_recipe

    recipe = load_recipe(REPO / "pipelines" / "recipes" / "foley-debug.json")
    data = recipe.data.replace(
        synth=None,
        crop_seconds=None,
        crop_range=(0.4, 1.2),
        label_as_caption=True,
        text_dropout=0.2,
        num_workers=1,
        val_items=2,
    )
    recipe = recipe.replace(
        data=data, batch_size=4, steps=6, ckpt_every=6, val_every=6, val_samples=1, log_every=1
    )
    run = train_foley(
        recipe,
        tmp_path / "out",
        data=[str(manifest)],
        cache_dir=tmp_path / "cache",
        device="cpu",
        progress=False,
    )
    assert run.result.step == 6 and (tmp_path / "out" / "model.safetensors").exists()
    assert all(np.isfinite(r["loss"]) for r in run.result.history if "loss" in r)
    assert run.train_items == 5 and run.val_items == 1


def test_a_manifest_without_a_split_column_is_used_whole(manifest: Path, tmp_path: Path) -> None:
    from genav.data.manifest import manifest_splits

    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    unsplit = manifest.with_name("unsplit.jsonl")
    unsplit.write_text("".join(json.dumps(r) + "\n" for r in rows if "split" not in r))
    assert manifest_splits(unsplit) == set() and manifest_splits(manifest) == {"train"}
    enc = _encoder()
    assert encode_shards(unsplit, "train", tmp_path / "whole", enc, rows_per_shard=8, skip_bad_rows=False) == 1
    assert len(read_shard_rows(tmp_path / "whole" / shard_name(0))) == 2
    with pytest.raises(DataError, match="no usable rows of split 'test'"):  # a split column is respected
        encode_shards(manifest, "test", tmp_path / "test", enc, rows_per_shard=8, skip_bad_rows=False)


def test_cached_inputs_are_keyed_on_the_motion_features_version(monkeypatch) -> None:
    """A change to what motion_features computes (same config) must not reuse old cached clips."""
    import genav.train.foley_data as foley_data

    before = _encoder().settings()
    monkeypatch.setattr(foley_data, "MOTION_FEATURES_VERSION", foley_data.MOTION_FEATURES_VERSION + 1)
    assert foley_data.cache_key(_encoder().settings()) != foley_data.cache_key(before)
