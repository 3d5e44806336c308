"""The word "foley" names the task and its models, not a class: the audio MM-DiT base is AudioMMDiTPipeline,
and the old name still imports for one release, with a warning."""

from __future__ import annotations

import pytest


def test_foley_pipeline_is_a_deprecated_alias_of_the_audio_mmdit_base() -> None:
    import genav.pipelines as pipelines
    from genav.pipelines import AudioMMDiTPipeline, TextToAudioPipeline, VideoToAudioPipeline

    assert issubclass(TextToAudioPipeline, AudioMMDiTPipeline)
    assert issubclass(VideoToAudioPipeline, AudioMMDiTPipeline)
    with pytest.warns(DeprecationWarning, match="AudioMMDiTPipeline"):
        from genav.pipelines import FoleyPipeline
    assert FoleyPipeline is AudioMMDiTPipeline
    with pytest.warns(DeprecationWarning):
        assert pipelines.FoleyPipeline is AudioMMDiTPipeline
    with pytest.raises(AttributeError):
        pipelines.NoSuchPipeline  # noqa: B018
