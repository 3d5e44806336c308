"""Tiny random diffusers text-to-video pipelines, built offline, for tests of the video backbones.

Every component is the real diffusers/transformers class at toy size, saved by the pipeline's own
``save_pretrained``, so a folder has exactly the layout of ModelScope / ZeroScope
(``TextToVideoSDPipeline``: UNet3D, ``AutoencoderKL``, CLIP text encoder and tokenizer, DDIM) or
Wan 2.1 (``WanPipeline``: ``WanTransformer3DModel``, ``AutoencoderKLWan``, UMT5, flow-matching
scheduler) -- in a second and with nothing downloaded.
"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

import torch

from genav.pipelines.diffusers_tiny import _tiny_tokenizer


def _tiny_clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer over single letters (no merges): every word is spelt out."""
    from transformers import CLIPTokenizer

    letters = list(string.ascii_lowercase + string.digits)
    vocab = ["<|startoftext|>", "<|endoftext|>", *letters, *[c + "</w>" for c in letters]]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "vocab.json").write_text(json.dumps({tok: i for i, tok in enumerate(vocab)}))
        (Path(tmp) / "merges.txt").write_text("#version: 0.2\n")
        return CLIPTokenizer(str(Path(tmp) / "vocab.json"), str(Path(tmp) / "merges.txt"), model_max_length=16,
                             pad_token="<|endoftext|>")


def build_tiny_unet3d(*, seed: int = 0) -> Any:
    """A random ``TextToVideoSDPipeline`` (UNet3D with 2 levels, VAE factor 2, 16-d CLIP, DDIM)."""
    from diffusers import AutoencoderKL, DDIMScheduler, TextToVideoSDPipeline, UNet3DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = _tiny_clip_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet = UNet3DConditionModel(
            sample_size=8, in_channels=4, out_channels=4,
            down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
            up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
            block_out_channels=(16, 32), layers_per_block=1, norm_num_groups=4,
            cross_attention_dim=16, attention_head_dim=8,
        )
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
            up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(8, 16), latent_channels=4, norm_num_groups=4,
        )
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
            num_attention_heads=2, max_position_embeddings=16, projection_dim=16,
            bos_token_id=0, eos_token_id=1, pad_token_id=1,
        ))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False)
    return TextToVideoSDPipeline(vae=vae, text_encoder=text_encoder.eval(), tokenizer=tokenizer, unet=unet,
                                 scheduler=scheduler)


def build_tiny_wan(*, seed: int = 0) -> Any:
    """A random ``WanPipeline`` (2-layer transformer, causal VAE 8x spatial / 4x temporal, 16-d UMT5)."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                               temperal_downsample=[False, True, True])
        transformer = WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
            text_dim=16, freq_dim=32, ffn_dim=32, num_layers=2, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        )
        text_encoder = UMT5EncoderModel(UMT5Config(
            vocab_size=40, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
            relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        ))
    return WanPipeline(tokenizer=_tiny_tokenizer(32), text_encoder=text_encoder.eval(), transformer=transformer,
                       vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0))


def save_tiny_unet3d(folder: str | Path, *, seed: int = 0) -> Path:
    """Write :func:`build_tiny_unet3d` as a diffusers folder (``model_index.json`` + parts)."""
    build_tiny_unet3d(seed=seed).save_pretrained(str(folder))
    return Path(folder)


def save_tiny_wan(folder: str | Path, *, seed: int = 0) -> Path:
    """Write :func:`build_tiny_wan` as a diffusers folder (``model_index.json`` + parts)."""
    build_tiny_wan(seed=seed).save_pretrained(str(folder))
    return Path(folder)
