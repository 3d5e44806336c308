"""Vision backbones prepare frames as their own image processors do (size, resampling, crop,
normalisation from ``preprocessor_config.json``), checked against the processor itself on small
random models saved locally in the real format."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genav.encoders import CLIPVisionEncoder, VideoEncoder, VideoEncoderConfig
from genav.errors import CheckpointError


def _save(folder, kind: str, processor) -> None:
    import transformers as T

    torch.manual_seed(0)
    small = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=2, patch_size=8)
    if kind == "clip":
        model = T.CLIPVisionModel(T.CLIPVisionConfig(image_size=32, **small))
    elif kind == "siglip":
        model = T.SiglipVisionModel(T.SiglipVisionConfig(image_size=48, **small))
    else:
        model = T.Dinov2Model(T.Dinov2Config(image_size=32, **small))
    model.save_pretrained(folder)
    if processor is not None:
        processor.save_pretrained(folder)


def _processors():
    import transformers as T

    return {
        # CLIP: shorter side, bicubic, centre crop, CLIP mean/std
        "clip": T.CLIPImageProcessor(size={"shortest_edge": 40}, crop_size={"height": 32, "width": 32}),
        # SigLIP: straight to a square, bicubic, mean/std 0.5
        "siglip": T.SiglipImageProcessor(size={"height": 48, "width": 48}),
        # DINOv2: shorter side to 256/224 of the crop, bicubic, ImageNet mean/std
        "dinov2": T.BitImageProcessor(size={"shortest_edge": 37}, crop_size={"height": 32, "width": 32},
                                      image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225]),
    }


@pytest.mark.parametrize("kind", ["clip", "siglip", "dinov2"])
def test_frames_are_prepared_as_the_folders_processor_prepares_them(kind, tmp_path):
    processor = _processors()[kind]
    _save(tmp_path, kind, processor)
    vis = CLIPVisionEncoder(tmp_path)
    assert vis.preprocess.resample == "bicubic"
    images = torch.randint(0, 256, (2, 45, 70, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    ours = vis.preprocess(images)
    theirs = torch.from_numpy(np.asarray(processor(list(images.numpy()), return_tensors="np")["pixel_values"]))
    assert ours.shape == theirs.shape
    # in 8-bit levels: equal to rounding (PIL also clips between its two resize passes, which moves
    # a few overshooting pixels of this noise image); bilinear instead of bicubic is ~9 levels off
    levels = ((ours - theirs) * torch.tensor(processor.image_std).view(1, 3, 1, 1) * 255).abs()
    assert levels.mean() < 0.5 and (levels > 1.01).float().mean() < 0.02
    emb = vis.encode_images(images)
    assert emb.shape == (2, 32) and torch.isfinite(emb).all()


def test_size_and_resampling_come_from_the_processor_not_a_fixed_224(tmp_path):
    import transformers as T

    _save(tmp_path, "siglip", T.SiglipImageProcessor(size={"height": 48, "width": 48}, resample=2))
    enc = VideoEncoder(VideoEncoderConfig(backbone="clip", backbone_path=str(tmp_path), semantic_dim=8))
    assert enc.backbone.preprocess.resample == "bilinear" and enc.input_size == (48, 48)
    assert enc.backbone.preprocess(torch.zeros(1, 20, 30, 3, dtype=torch.uint8)).shape == (1, 3, 48, 48)
    assert VideoEncoder(VideoEncoderConfig(frame_size=64, motion_size=32)).input_size == (64, 64)


def test_a_folder_without_a_processor_gets_its_familys_standard_one(tmp_path):
    _save(tmp_path, "clip", None)
    prep = CLIPVisionEncoder(tmp_path).preprocess
    assert (prep.shortest_edge, prep.crop, prep.resample) == (32, (32, 32), "bicubic")
    assert prep.mean == pytest.approx((0.48145466, 0.4578275, 0.40821073))


def test_an_unsupported_resampling_filter_is_a_clear_error(tmp_path):
    import transformers as T

    _save(tmp_path, "clip", T.CLIPImageProcessor(size={"shortest_edge": 32}, resample=1))  # lanczos
    with pytest.raises(CheckpointError, match="resampling filter 1"):
        CLIPVisionEncoder(tmp_path)
