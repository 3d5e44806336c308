"""Conditioning encoders: text (frozen, cached) and video (semantic + motion/sync features).

Model weights load only when an encoder is built (never at import); nothing is downloaded.
"""

from genav.encoders.hf_text import HFTextEncoder, MiniLMTextEncoder
from genav.encoders.text import (
    HashTextEncoder,
    TextEmbedding,
    TextEncoder,
    TextEncoderConfig,
)
from genav.encoders.text_factory import build_text_encoder
from genav.encoders.video import (
    FrameEncoder,
    VideoEncoder,
    VideoEncoderConfig,
    VideoFeatures,
    motion_features,
    num_frames_at,
    window_centre_indices,
)
from genav.encoders.vision import CLIPVisionEncoder

__all__ = [
    "CLIPVisionEncoder",
    "FrameEncoder",
    "HFTextEncoder",
    "HashTextEncoder",
    "MiniLMTextEncoder",
    "TextEmbedding",
    "TextEncoder",
    "TextEncoderConfig",
    "VideoEncoder",
    "VideoEncoderConfig",
    "VideoFeatures",
    "build_text_encoder",
    "motion_features",
    "num_frames_at",
    "window_centre_indices",
]
