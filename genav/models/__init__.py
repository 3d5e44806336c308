"""Model families. The audio MM-DiT (text/video-to-audio) lives in :mod:`genav.models.audio_mmdit`;
text-to-video backbones behind :class:`VideoBackbone` in :mod:`genav.models.video_backbone`
(genav's tiny DiT) and :mod:`genav.models.diffusers_video` (UNet3D, Wan; imports diffusers)."""

from genav.models.audio_mmdit import (
    AudioMMDiT,
    AudioMMDiTConfig,
    debug_config,
    model_summary,
    tiny_config,
)
from genav.models.audio_mmdit_generate import generate_latents, guidance_conditioning, make_conditioning
from genav.models.conditioning import Conditioning, VideoTokens, concat_conditionings
from genav.models.t2v_backbone import TinyT2VBackbone
from genav.models.t2v_dit import T2VDiT, T2VDiTConfig
from genav.models.video_backbone import (
    FrameContext,
    SlotLayout,
    VideoBackbone,
    concat_contexts,
    frame_slots,
    timed_slot_tokens,
)
from genav.models.video_generate import sample_video_window

__all__ = [
    "AudioMMDiT",
    "FrameContext",
    "SlotLayout",
    "T2VDiT",
    "T2VDiTConfig",
    "TinyT2VBackbone",
    "VideoBackbone",
    "concat_contexts",
    "frame_slots",
    "sample_video_window",
    "timed_slot_tokens",
    "AudioMMDiTConfig",
    "Conditioning",
    "VideoTokens",
    "concat_conditionings",
    "debug_config",
    "generate_latents",
    "guidance_conditioning",
    "make_conditioning",
    "model_summary",
    "tiny_config",
]
