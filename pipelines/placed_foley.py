"""Prompted sound design by placement: *when* from a video-to-audio model, *what* from a text-to-audio one.

The embedded video-to-audio model follows the picture's timing but hardly its prompt on real sounds
(sfx2 labels: near chance, see the README), while the text-to-audio model follows the words but
sees no picture. :class:`PlacedFoleyPipeline` runs the first on the video alone (the timing track),
the second on the prompt (a one-shot), and lays one hit of the one-shot at each onset of the timing
track (:mod:`genav.pipelines.placement`), as a Foley editor lays a recorded sound on each action.
For event sounds (impacts, steps, hits, calls); a continuous sound (rain, an engine) wants the
video-to-audio model with its prompt instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genav.errors import InputError
from genav.pipelines.generation_common import check_num_outputs, prompt_list
from genav.pipelines.output import AudioOutput
from genav.pipelines.placement import placed_sound
from genav.sampling.checks import check_guidance_scale

HIT_SECONDS = 2.0  # length of the one-shot the text-to-audio model makes (its best-judged length)


class PlacedFoleyPipeline:
    """Video + prompt -> :class:`AudioOutput`: the prompt's sound placed at the picture's events.

    ``timing``: a :class:`~genav.pipelines.VideoToAudioPipeline`; ``sound``: a
    :class:`~genav.pipelines.TextToAudioPipeline` with the same sample rate.
    """

    task = "v2a"

    def __init__(self, timing: Any, sound: Any) -> None:
        if sound.sample_rate != timing.sample_rate:
            raise InputError(f"the sound model makes {sound.sample_rate} Hz, the timing model {timing.sample_rate} Hz: "
                             "placement needs one rate")  # fmt: skip
        self.timing, self.sound = timing, sound

    @classmethod
    def from_pretrained(cls, timing: str | Path = "genav-foley-tiny", sound: str | Path = "genav-t2a-small", *,
                        device: str = "auto", dtype: str = "auto") -> PlacedFoleyPipeline:  # fmt: skip
        """Both models by name or folder (``genav models list``)."""
        from genav.pipelines.text_to_audio import TextToAudioPipeline
        from genav.pipelines.video_to_audio import VideoToAudioPipeline

        return cls(VideoToAudioPipeline.from_pretrained(timing, device=device, dtype=dtype),
                   TextToAudioPipeline.from_pretrained(sound, device=device, dtype=dtype))  # fmt: skip

    @property
    def sample_rate(self) -> int:
        return self.timing.sample_rate

    def __call__(self, video: Any, *, prompt: str, negative_prompt: str | None = None, num_steps: int = 25,
                 guidance_scale: float = 4.5, text_guidance_scale: float | None = None, seed: int | None = None,
                 num_outputs: int = 1, progress: Any = None, **timing_settings: Any) -> AudioOutput:  # fmt: skip
        """Generate ``num_outputs`` soundtracks for ``video`` made of ``prompt``'s sound.

        Args:
            video: as :class:`~genav.pipelines.VideoToAudioPipeline` takes it.
            prompt: the sound to place (one text). negative_prompt: steers the sound model away.
            num_steps / guidance_scale / seed / num_outputs / progress: for both models; output
                ``i``'s one-shot uses output ``i``'s seed. text_guidance_scale: the sound model's
                guidance (default ``guidance_scale``).
            **timing_settings: the video-to-audio pipeline's other keywords (duration, fps,
                window, sync_phases, method, video_guidance_scale...); it gets no prompt.

        Returns:
            :class:`AudioOutput` ``(num_outputs, 1, N)`` at the timing model's rate; its metadata
            is the timing run's plus ``placement`` (sound model, checksum, one-shot seconds,
            onset times per output) and the prompt in ``settings``.

        Raises:
            InputError: no prompt or more than one, or any error either pipeline raises for its
                part (checked before the video-to-audio model samples).

        Source: placement of recorded sounds on picture as Foley editing does it; onset detection
        as librosa's defaults (:mod:`genav.pipelines.placement`).
        """
        if prompt is None:
            raise InputError("placement needs a prompt: the sound to place at the picture's events")
        prompts = prompt_list(prompt, required=True)
        if len(prompts) != 1 or len(prompt_list(negative_prompt, required=False) or [""]) != 1:
            raise InputError("placement takes one prompt (and one negative prompt) per video")
        check_num_outputs(num_outputs)
        sound_guidance = check_guidance_scale(
            "text_guidance_scale", guidance_scale if text_guidance_scale is None else text_guidance_scale)
        timing = self.timing(video, num_steps=num_steps, guidance_scale=guidance_scale, seed=seed,
                             num_outputs=num_outputs, progress=progress, **timing_settings)  # fmt: skip
        waves, onsets = [], []
        for k, out_seed in enumerate(timing.seeds):
            shot = self.sound(prompts[0], negative_prompt=negative_prompt, duration=HIT_SECONDS, num_steps=num_steps,
                              guidance_scale=sound_guidance, seed=out_seed)  # fmt: skip
            wave, times = placed_sound(timing.audio[k].mean(axis=0), shot.audio[0].mean(axis=0), self.sample_rate)
            waves.append(wave[None])
            onsets.append([round(float(t), 4) for t in times])
        metadata = dict(timing.metadata)
        metadata["settings"] = {**metadata.get("settings", {}), "prompt": prompts[0], "negative_prompt": negative_prompt}
        metadata["placement"] = {"sound_model": self.sound.model_name, "sound_model_checksum": self.sound.checksum,
                                 "one_shot_seconds": HIT_SECONDS, "sound_guidance_scale": sound_guidance,
                                 "onsets": onsets}  # fmt: skip
        return AudioOutput(np.stack(waves), self.sample_rate, list(timing.seeds), metadata)
