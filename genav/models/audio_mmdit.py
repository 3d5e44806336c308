"""The audio MM-DiT: one flow transformer for text-to-audio, video-to-audio and both (MMAudio-style).

Tokens of three streams -- audio latent frames, video frames (semantic + sync features, each
projected) and text -- pass through joint blocks (separate weights per stream, one attention over
the concatenation), then the audio tokens alone through single-stream blocks. A global condition
(time step + pooled text + duration) modulates every block by adaLN-Zero. Audio and video tokens
carry rotary positions aligned in seconds (:class:`genav.nn.TimeAlignedRoPE`), so an audio frame
and the video frame shown at the same instant sit at the same position. A dropped or absent
condition is replaced by learned null embeddings (:mod:`genav.models.mmdit_streams`), so T2A (no
video), a dropped video and a video-less training row are the same computation for the audio
tokens, and batches without padded audio call attention with ``mask=None``.

Trained by rectified flow (:mod:`genav.models.flow`): ``x_t = (1 - t) noise + t data``, the model
predicts the velocity ``data - noise``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from einops import rearrange
from torch import Tensor, nn

from genav.codecs import EncodecCodecConfig, MelCodecConfig, OobleckCodecConfig
from genav.config import Config
from genav.encoders.text import TextEncoderConfig
from genav.encoders.video import VideoEncoder, VideoEncoderConfig, VideoInputs
from genav.errors import ConfigError, InputError
from genav.models.conditioning import Conditioning, VideoTokens
from genav.models.flow import (
    T_SAMPLINGS,
    flow_interpolate,
    flow_velocity_target,
    masked_mse,
    sample_flow_times,
)
from genav.models.mmdit_blocks import JointBlock, SingleBlock
from genav.models.mmdit_streams import (
    NULL_MODES,
    PreparedConditions,
    Stream,
    joint_mask,
    text_stream,
    video_stream,
)
from genav.models.onset_supervision import onset_loss
from genav.nn import FinalLayer, ScalarEmbedder, TimeAlignedRoPE, count_parameters
from genav.nn import cond_mlp as _cond_mlp
from genav.sampling.checks import check_guidance_scale


@dataclass(frozen=True)
class AudioMMDiTConfig(Config):
    """Architecture, conditioning and training settings of the audio MM-DiT.

    ``latent_dim`` and ``audio_frame_rate`` derive from ``codec``, ``text_dim`` from
    ``text_encoder`` (:meth:`derived_fields`): leave them out and they are filled in; a stored
    value (old checkpoints, recipes) must match. Only for a codec or text encoder whose model
    folder decides them (EnCodec, Oobleck, an hf folder without ``dim``) are they given, and
    checked when it is loaded (:meth:`AudioMMDiT.check_codec`). ``video`` None makes a
    text-to-audio-only model.
    ``rope_rate`` is positions per second shared by audio and video tokens.
    ``p_drop_text``/``p_drop_video``/``p_drop_both``: per-row probabilities, in training, of
    dropping only the text, only the video, or both (classifier-free guidance).
    ``codec`` and ``text_encoder`` say which frozen codec / text encoder the model works with.
    ``sync_to_audio``: also add each audio frame's time-aligned sync feature to its token (as
    MMAudio does with its sync features), so timing does not have to be found through attention.
    ``onset_loss_weight``: > 0 adds a linear head on the projected sync tokens, trained (weight
    times :func:`~genav.models.onset_supervision.onset_loss`) to predict the sound's onset
    strength per video frame, so the sync path learns from the first step (training only).
    ``null_conditions``: ``embeddings`` (fixed-length streams, learned null embeddings substituted,
    no attention mask without padded audio) or ``token`` (a masked null token per stream: the
    version-1 formulation, which configs of version 1 load as). ``text_length``: text tokens of
    the fixed-length text stream (``embeddings`` only; longer prompts are truncated).
    ``generation_window``: seconds per window that generation uses unless told (None: ``max_duration``),
    for a model that makes cleaner sound in windows as long as most of its training crops than in
    one window of ``max_duration`` (longer sounds are then made in overlapping windows).
    ``text_guidance_scale``: video-to-audio with a prompt, the guidance scale of what the prompt adds
    unless told (None: the call's ``guidance_scale``), for a model whose prompt is heard better when
    guided harder than its picture (:mod:`genav.sampling.guidance`).
    """

    model_type: ClassVar[str] = "audio-mmdit"
    VERSION: ClassVar[int] = 2

    family: str = "foley"
    latent_dim: int = None  # type: ignore[assignment]  # derived (see derived_fields); None until then
    audio_frame_rate: float = None  # type: ignore[assignment]
    hidden: int = 256
    depth_joint: int = 2
    depth_audio: int = 2
    heads: int = 4
    kv_heads: int = 4
    mlp_ratio: float = 4.0
    mlp_kind: str = "swiglu"
    text_dim: int = None  # type: ignore[assignment]
    video: VideoEncoderConfig | None = field(default_factory=VideoEncoderConfig)
    rope_rate: float = 25.0
    rope_base: float = 10000.0
    max_duration: float = 10.0
    p_drop_text: float = 0.1
    p_drop_video: float = 0.1
    p_drop_both: float = 0.1
    t_sampling: str = "logit_normal"
    codec: MelCodecConfig | EncodecCodecConfig | OobleckCodecConfig = field(default_factory=MelCodecConfig)
    text_encoder: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    sync_to_audio: bool = False
    null_conditions: str = "embeddings"
    text_length: int = 77
    onset_loss_weight: float = 0.0
    generation_window: float | None = None
    text_guidance_scale: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioMMDiTConfig:
        """Also reads version-1 configs, which are the ``token`` formulation (same weights layout)."""
        data = dict(data)
        if data.get("version") == 1:
            if "null_conditions" in data or "text_length" in data:
                raise ConfigError("AudioMMDiTConfig version 1 has no null_conditions/text_length keys")
            data.update(version=cls.VERSION, null_conditions="token")
        return super().from_dict(data)

    @classmethod
    def derived_fields(cls, values: dict[str, Any]) -> dict[str, tuple[Any, str]]:
        codec, text = values["codec"], values["text_encoder"]
        return {
            "latent_dim": (codec.latent_dim, f"the {codec.model_type} codec"),
            "audio_frame_rate": (codec.frame_rate, f"the {codec.model_type} codec"),
            "text_dim": (text.width, f"the {text.kind} text encoder"),
        }

    def __post_init__(self) -> None:
        self.settle_derived()
        if self.null_conditions not in NULL_MODES:
            raise ConfigError(f"AudioMMDiTConfig: null_conditions must be one of {', '.join(NULL_MODES)}")
        if self.text_length < 1:
            raise ConfigError(f"AudioMMDiTConfig: text_length must be at least 1, got {self.text_length}")
        if self.hidden % self.heads or self.heads % self.kv_heads or (self.hidden // self.heads) % 2:
            raise ConfigError(
                f"AudioMMDiTConfig: hidden ({self.hidden}) must split into heads ({self.heads}) of even size, "
                f"and heads into kv_heads ({self.kv_heads})"
            )
        if self.depth_joint < 1 or self.depth_audio < 0:
            raise ConfigError("AudioMMDiTConfig: need depth_joint >= 1 and depth_audio >= 0")
        probs = (self.p_drop_text, self.p_drop_video, self.p_drop_both)
        if min(probs) < 0 or sum(probs) > 1:
            raise ConfigError(f"AudioMMDiTConfig: drop probabilities {probs} must be >= 0 and sum to <= 1")
        if self.t_sampling not in T_SAMPLINGS:
            raise ConfigError(f"AudioMMDiTConfig: t_sampling must be one of {', '.join(T_SAMPLINGS)}")
        if self.max_duration <= 0 or self.audio_frame_rate <= 0:
            raise ConfigError("AudioMMDiTConfig: max_duration and audio_frame_rate must be positive")
        if self.generation_window is not None and not 0 < self.generation_window <= self.max_duration:
            raise ConfigError(
                f"AudioMMDiTConfig: generation_window must be in (0, max_duration={self.max_duration:g}] s, "
                f"got {self.generation_window:g}"
            )
        try:
            check_guidance_scale("text_guidance_scale", self.text_guidance_scale)
        except InputError as exc:
            raise ConfigError(f"AudioMMDiTConfig: {exc}") from None
        if self.onset_loss_weight < 0 or (self.onset_loss_weight > 0 and self.video is None):
            raise ConfigError("AudioMMDiTConfig: onset_loss_weight must be >= 0, and > 0 only with video")




class AudioMMDiT(nn.Module):
    """Velocity model ``(x_t, t, conditioning) -> v`` over audio latents ``(B, latent_dim, T)``."""

    TRAINING_HEADS: ClassVar[tuple[str, ...]] = ("onset_head.",)  # may start fresh when fine-tuning

    @property
    def text_token_limit(self) -> int | None:
        """Text tokens the model reads (version 2 keeps ``text_length``), None when it takes any number."""
        return None if self.config.null_conditions == "token" else self.config.text_length

    def __init__(self, config: AudioMMDiTConfig) -> None:
        super().__init__()
        self.config = c = config
        head_dim = c.hidden // c.heads
        self.rope = TimeAlignedRoPE(head_dim, rate=c.rope_rate, base=c.rope_base)
        self.audio_in = nn.Linear(c.latent_dim, c.hidden)
        self.text_in = _cond_mlp(c.text_dim, c.hidden)
        self.pooled_in = _cond_mlp(c.text_dim, c.hidden)
        self.t_embed = ScalarEmbedder(c.hidden, scale=1000.0)
        self.duration_embed = ScalarEmbedder(c.hidden, scale=1000.0)
        legacy = c.null_conditions == "token"
        self.null_text = nn.Parameter(torch.randn(1, 1 if legacy else c.text_length, c.hidden) * 0.02)
        self.null_pooled = nn.Parameter(torch.randn(1, c.hidden) * 0.02)
        if legacy:
            self.null_video = nn.Parameter(torch.randn(1, 1, c.hidden) * 0.02)
        elif c.video is not None:
            self.null_semantic = nn.Parameter(torch.randn(1, 1, c.hidden) * 0.02)
            self.null_sync = nn.Parameter(torch.randn(1, 1, c.hidden) * 0.02)
        if c.video is not None:
            self.video_encoder = VideoEncoder(c.video)
            self.semantic_in = _cond_mlp(self.video_encoder.semantic_dim, c.hidden)
            self.sync_in = _cond_mlp(self.video_encoder.sync_dim, c.hidden)
            if c.sync_to_audio:
                self.sync_to_audio = nn.Linear(c.hidden, c.hidden)
                nn.init.zeros_(self.sync_to_audio.weight)  # starts as a no-op
                nn.init.zeros_(self.sync_to_audio.bias)
            if c.onset_loss_weight > 0:
                self.onset_head = nn.Linear(c.hidden, 1)
        streams = 3 if (legacy or c.video is not None) else 2  # audio, (video), text
        self.joint_blocks = nn.ModuleList(
            JointBlock(
                streams,
                c.hidden,
                c.heads,
                c.kv_heads,
                c.mlp_ratio,
                c.mlp_kind,
                context_pre_only=(i == c.depth_joint - 1),
            )
            for i in range(c.depth_joint)
        )
        self.audio_blocks = nn.ModuleList(
            SingleBlock(c.hidden, c.heads, c.kv_heads, c.mlp_ratio, c.mlp_kind) for _ in range(c.depth_audio)
        )
        self.final = FinalLayer(c.hidden, c.latent_dim, c.hidden)

    # -- conditioning ----------------------------------------------------------------------------
    @property
    def has_video(self) -> bool:
        return self.config.video is not None

    def encode_video(self, frames: Tensor, frames_mask: Tensor | None = None) -> VideoTokens:
        """``frames`` ``(B, T, H, W, 3)`` uint8 at ``config.video.fps`` -> :class:`VideoTokens`."""
        if not self.has_video:
            raise InputError("this model was built without video input (text-to-audio only)")
        return VideoTokens.from_features(self.video_encoder(frames, frames_mask))

    def encode_video_inputs(self, inputs: VideoInputs, frames_mask: Tensor | None = None) -> VideoTokens:
        """Precomputed per-frame inputs (``video_encoder.prepare_inputs``, e.g. from training shards)
        ``(B, T, ...)`` -> :class:`VideoTokens`; equal to :meth:`encode_video` on the same frames."""
        if not self.has_video:
            raise InputError("this model was built without video input (text-to-audio only)")
        return VideoTokens.from_features(self.video_encoder.encode_inputs(inputs, frames_mask))

    def sample_dropout(
        self, batch: int, *, generator: torch.Generator | None = None, device: Any = None
    ) -> tuple[Tensor, Tensor]:
        """Per-row training drop flags ``(drop_text, drop_video)``, each ``(B,)`` bool."""
        c = self.config
        u = torch.rand(batch, generator=generator, device=device)
        both = u < c.p_drop_both
        text_only = (u >= c.p_drop_both) & (u < c.p_drop_both + c.p_drop_text)
        lo = c.p_drop_both + c.p_drop_text
        video_only = (u >= lo) & (u < lo + c.p_drop_video)
        return both | text_only, both | video_only

    # -- forward ---------------------------------------------------------------------------------
    def prepare_conditions(
        self, cond: Conditioning, batch: int, frames: int, device: Any
    ) -> PreparedConditions:
        """The parts of :meth:`forward` that depend on ``cond`` only, for latents ``(batch, C, frames)``
        on ``device``: compute once per generation and pass as ``forward(..., prepared=)`` at every
        solver step (the condition projections then run once, not once per step)."""
        audio_mask = cond.audio_mask
        if audio_mask is not None and bool(audio_mask.all()):
            audio_mask = None  # no padding: nothing to mask
        valid = (
            torch.full((batch,), frames, device=device)
            if audio_mask is None
            else audio_mask.to(device).sum(1)
        )
        text, pooled = text_stream(self, cond, batch, device)
        video, aligned_sync = video_stream(self, cond, batch, valid, device)
        sync_add = None
        if self.config.sync_to_audio and aligned_sync is not None:
            a = aligned_sync
            sync_add = self._sync_per_audio_frame(frames, a.tokens, a.keep, a.fps)
        duration = self.duration_embed(cond.duration.to(device, torch.float32) / self.config.max_duration)
        audio_mask = None if audio_mask is None else audio_mask.to(device, torch.bool)
        # the audio stream's tokens are the latents; only its shape, mask and positions are known here
        audio = Stream(
            text.tokens.new_empty(batch, frames, 0), audio_mask, [(frames, self.config.audio_frame_rate)]
        )
        streams = [audio, *([video] if video is not None else []), text]
        angles = [self.rope.angles(st.segments, device=device) for st in streams]
        return PreparedConditions(
            batch, frames, text, video, pooled, duration, sync_add, audio_mask, angles, joint_mask(streams)
        )

    def forward(
        self, x: Tensor, t: Tensor, cond: Conditioning, *, prepared: PreparedConditions | None = None
    ) -> Tensor:
        """Velocity ``(B, latent_dim, T)`` for latents ``x`` ``(B, latent_dim, T)`` at times ``t`` ``(B,)``.

        Padded audio frames (``cond.audio_mask`` False) never influence valid ones; their outputs
        are meaningless and should be ignored (the loss masks them). Without padded frames (and
        with ``null_conditions="embeddings"``) every attention call gets ``mask=None``.
        ``prepared``: :meth:`prepare_conditions` of this ``cond`` and shape (same output, less work).

        Raises:
            InputError: ``x`` has the wrong number of channels, or ``prepared`` another shape.
        """
        batch, _, frames = x.shape
        if x.shape[1] != self.config.latent_dim:
            raise InputError(f"expected latents with {self.config.latent_dim} channels, got {tuple(x.shape)}")
        device = x.device
        p = prepared if prepared is not None else self.prepare_conditions(cond, batch, frames, device)
        if (p.batch, p.frames) != (batch, frames):
            raise InputError(
                f"conditions prepared for {p.batch} x {p.frames} frames, got latents {tuple(x.shape)}"
            )
        audio = self.audio_in(rearrange(x, "b c t -> b t c").to(self.audio_in.weight.dtype))
        if p.sync_add is not None:
            audio = audio + p.sync_add
        g = self.t_embed(t.to(device)) + p.duration + p.pooled
        tokens = [audio, *([p.video.tokens] if p.video is not None else []), p.text.tokens]
        for block in self.joint_blocks:
            tokens = block(tokens, g, p.angles, p.mask)
        audio = tokens[0]
        for block in self.audio_blocks:
            audio = block(audio, g, p.angles[0], p.audio_mask)
        return rearrange(self.final(audio, g), "b t c -> b c t")

    def _sync_per_audio_frame(self, frames: int, sync: Tensor, mask: Tensor, fps: float) -> Tensor:
        """Sync tokens ``(B, T_sync, C)`` picked at each audio frame's centre time -> ``(B, frames, C)``;
        masked or dropped video frames contribute zeros."""
        centre = (
            torch.arange(frames, device=sync.device, dtype=torch.float32) + 0.5
        ) / self.config.audio_frame_rate
        index = (centre * fps).long().clamp(max=sync.shape[1] - 1)
        picked = sync[:, index] * mask[:, index, None].to(sync.dtype)
        return self.sync_to_audio(picked)

    # -- training --------------------------------------------------------------------------------
    def flow_loss(
        self, data: Tensor, cond: Conditioning, *, generator: torch.Generator | None = None
    ) -> Tensor:
        """Rectified-flow loss: masked MSE between predicted and straight-path velocity.

        ``data`` ``(B, latent_dim, T)`` clean latents; noise and ``t`` come from ``generator``
        (which must live on ``data``'s device).
        """
        noise = torch.randn(data.shape, generator=generator, device=data.device, dtype=data.dtype)
        t = sample_flow_times(data.shape[0], self.config.t_sampling, generator=generator, device=data.device)
        pred = self(flow_interpolate(data, noise, t), t, cond)
        return masked_mse(pred, flow_velocity_target(data, noise), cond.audio_mask)

    def sync_onset_loss(self, data: Tensor, video: VideoTokens, rows: Tensor) -> Tensor:
        """The onset head's loss (:func:`~genav.models.onset_supervision.onset_loss`, unweighted)
        on clean latents ``data (B, latent_dim, T)`` and their ``video``, for rows ``rows (B,)`` bool.

        Raises:
            ConfigError: the model has no onset head (``onset_loss_weight`` 0).
        """
        if not hasattr(self, "onset_head"):
            raise ConfigError("this model has no onset head: set onset_loss_weight > 0")
        tokens = self.sync_in(video.sync.to(data.device, self.onset_head.weight.dtype))
        predicted = self.onset_head(tokens)[..., 0]
        mask = video.sync_mask.to(data.device) & rows.to(data.device)[:, None]
        return onset_loss(predicted, data, self.config.audio_frame_rate, video.sync_fps, mask)

    def check_codec(self, codec: Any) -> None:
        """Raise if ``codec``'s latent size or frame rate differs from this model's config."""
        c = self.config
        if codec.latent_dim != c.latent_dim or abs(codec.frame_rate - c.audio_frame_rate) > 1e-6:
            raise ConfigError(
                f"codec gives {codec.latent_dim}-d latents at {codec.frame_rate} frames/s but the model "
                f"expects {c.latent_dim}-d at {c.audio_frame_rate} frames/s"
            )

    def num_parameters(self) -> int:
        return count_parameters(self)


def debug_config(**changes: Any) -> AudioMMDiTConfig:
    """A tiny random-initialisable config for tests and ``debug-*`` models (~0.1M parameters).

    Hash text encoder (32-d), a small mel codec (16 kHz, 32 mels, 62.5 frames/s) and a small
    video encoder taking 10 fps frames (the synthetic world's default rate).
    """
    base = AudioMMDiTConfig(
        hidden=48,
        depth_joint=1,
        depth_audio=1,
        heads=2,
        kv_heads=1,
        mlp_ratio=2.0,
        video=VideoEncoderConfig(
            fps=10.0,
            semantic_fps=5.0,
            sync_fps=10.0,
            frame_size=32,
            semantic_channels=(8, 16),
            semantic_dim=16,
            sync_dim=16,
            motion_size=16,
            motion_grid=2,
        ),
        max_duration=10.0,
        codec=MelCodecConfig(n_fft=512, hop_length=256, n_mels=32, griffin_lim_iters=8, nnls_iters=4),
        text_encoder=TextEncoderConfig(kind="hash", dim=32),
        text_length=32,
    )
    return base.replace(**changes)


def tiny_config(**changes: Any) -> AudioMMDiTConfig:
    """The ~10.4M-parameter preset (``genav bench sample --model mmdit-10m``): the ``model`` of the
    ``pipelines/recipes/foley-10m.json`` recipe, which is the source (a test checks they agree).
    Not the embedded default ``genav-foley-tiny`` (2.1M parameters, recipe ``foley-tiny.json``).

    MiniLM text (384-d), the default mel codec (16 kHz, 64 mels, 62.5 frames/s), the default
    conv video encoder at 25 fps; hidden 256, 2 joint + 3 audio blocks, 10 s window.
    """
    return AudioMMDiTConfig(hidden=256, depth_joint=2, depth_audio=3, heads=4, kv_heads=4).replace(**changes)


def model_summary(config: AudioMMDiTConfig) -> dict[str, Any]:
    """Parameter counts of a config's model, overall and without the video encoder."""
    model = AudioMMDiT(config)
    total = count_parameters(model)
    video = count_parameters(model.video_encoder) if model.has_video else 0
    return {"parameters": total, "video_encoder_parameters": video, "transformer_parameters": total - video}


__all__ = [
    "AudioMMDiT",
    "AudioMMDiTConfig",
    "Conditioning",
    "VideoTokens",
    "debug_config",
    "model_summary",
    "tiny_config",
]
