"""genav.pipelines: lives in the top-level `pipelines/` folder and is installed as `genav.pipelines`."""

if __name__ != "genav.pipelines":  # the folder is reachable under two names; allow only one
    raise ImportError("import genav.pipelines, not the bare 'pipelines' folder")

from genav.registry import list_models, resolve_model  # noqa: E402  (re-exported for the CLI)

__all__ = ["list_models", "resolve_model"]

# -- audio pipelines (T2A / V2A: ``debug-foley`` is declared in genav.registry.BUILTIN_MODELS) and
# audio-to-video (importing it registers ``debug-a2v``) ------------------------------------------
from genav.pipelines.audio_mmdit_pipeline import AudioMMDiTPipeline  # noqa: E402
from genav.pipelines.audio_to_video import AudioToVideoPipeline  # noqa: E402
from genav.pipelines.output import AudioOutput  # noqa: E402
from genav.pipelines.placed_foley import PlacedFoleyPipeline  # noqa: E402
from genav.pipelines.text_to_audio import TextToAudioPipeline  # noqa: E402

# -- text-to-video; importing it registers ``debug-t2v`` ------------------------------------------
from genav.pipelines.text_to_video import TextToVideoPipeline  # noqa: E402
from genav.pipelines.video_output import VideoOutput  # noqa: E402
from genav.pipelines.video_to_audio import VideoToAudioPipeline  # noqa: E402


def __getattr__(name: str):
    if name == "FoleyPipeline":  # deprecated alias, kept for one release (0.2 drops it)
        import warnings

        from genav.pipelines.audio_mmdit_pipeline import AudioMMDiTPipeline

        warnings.warn(
            "genav.pipelines.FoleyPipeline is deprecated; use genav.pipelines.AudioMMDiTPipeline "
            "(the base of TextToAudioPipeline and VideoToAudioPipeline)",
            DeprecationWarning,
            stacklevel=2,
        )
        return AudioMMDiTPipeline
    # diffusers loads only when asked for.
    if name == "DiffusersTextToAudioPipeline":
        from genav.pipelines.diffusers_t2a import DiffusersTextToAudioPipeline

        return DiffusersTextToAudioPipeline
    if name == "AutoTextToAudioPipeline":
        from genav.pipelines.auto import AutoTextToAudioPipeline

        return AutoTextToAudioPipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ += [
    "AudioMMDiTPipeline",
    "AudioOutput",
    "AudioToVideoPipeline",
    "AutoTextToAudioPipeline",
    "DiffusersTextToAudioPipeline",
    "PlacedFoleyPipeline",
    "TextToAudioPipeline",
    "TextToVideoPipeline",
    "VideoOutput",
    "VideoToAudioPipeline",
]
