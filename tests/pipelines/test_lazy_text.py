"""The foley pipelines build their text encoder only when a prompt needs it."""

from __future__ import annotations

from genav.encoders import TextEncoderConfig, build_text_encoder
from genav.pipelines.audio_mmdit_pipeline import LazyTextEncoder


def test_the_encoder_is_built_once_on_first_use_and_follows_to():
    built = []

    def build():
        built.append(1)
        return build_text_encoder(TextEncoderConfig(kind="hash", dim=8))

    lazy = LazyTextEncoder(build).to("cpu").eval()
    assert not lazy.loaded and not built
    emb = lazy.encode(["a dog barks", "rain"])
    assert lazy.loaded and len(built) == 1 and emb.tokens.shape[0] == 2
    lazy.encode(["again"])
    assert len(built) == 1


def test_a_video_only_run_of_a_model_folder_skips_the_text_encoder(tmp_path):
    import numpy as np

    from genav.pipelines import VideoToAudioPipeline

    VideoToAudioPipeline.from_pretrained("debug-foley").save_pretrained(tmp_path / "m")
    pipe = VideoToAudioPipeline.from_pretrained(tmp_path / "m")
    frames = np.zeros((10, 32, 32, 3), dtype=np.uint8)
    pipe(frames, fps=10.0, num_steps=1, seed=0)
    assert not pipe.text_encoder.loaded
    pipe(frames, fps=10.0, num_steps=1, seed=0, prompt="a door")
    assert pipe.text_encoder.loaded
