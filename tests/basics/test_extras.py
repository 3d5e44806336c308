"""Optional features: a missing extra is one GenavError line naming `pip install "genav[extra]"`.

The import failure is simulated by putting ``None`` in ``sys.modules`` (Python then raises
ImportError for that name), so these run where the extras are installed too.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from genav.errors import GenavError, MissingExtraError
from genav.extras import EXTRAS, require_extra


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_missing_extra_is_one_line_naming_it(monkeypatch, extra) -> None:
    hide(monkeypatch, EXTRAS[extra])
    with pytest.raises(MissingExtraError) as info:
        require_extra(extra, "a feature")
    message = str(info.value)
    assert isinstance(info.value, GenavError) and "\n" not in message
    assert message == f'a feature needs {EXTRAS[extra]}, which is not installed: pip install "genav[{extra}]"'


def test_present_extra_is_returned() -> None:
    assert require_extra("plots", "plots").__name__ == "matplotlib"


def test_plots_without_matplotlib(monkeypatch, tmp_path) -> None:
    from genav.eval.plots.av_align import plot_av_align
    from genav.eval.plots.spectrograms import spectrogram_sheet
    from genav.eval.plots.sync import plot_sync

    hide(monkeypatch, "matplotlib", "matplotlib.backends.backend_agg", "matplotlib.figure")
    with pytest.raises(MissingExtraError, match=r'spectrogram sheets .* pip install "genav\[plots\]"'):
        spectrogram_sheet(tmp_path / "s.png", {"a": np.zeros(1600, np.float32)}, 16000)
    with pytest.raises(MissingExtraError, match=r'AV-Align plots .* pip install "genav\[plots\]"'):
        plot_av_align(object(), tmp_path / "a.png")  # type: ignore[arg-type]
    with pytest.raises(MissingExtraError, match=r'sync plots .* pip install "genav\[plots\]"'):
        plot_sync(object(), tmp_path / "b.png")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_stable_audio_folder_without_torchsde(monkeypatch, tmp_path) -> None:
    from genav.pipelines.diffusers_t2a import DiffusersTextToAudioPipeline

    folder = tmp_path / "stable-audio"
    (folder / "scheduler").mkdir(parents=True)
    (folder / "model_index.json").write_text(json.dumps({"_class_name": "StableAudioPipeline"}))
    scheduler = {"_class_name": "CosineDPMSolverMultistepScheduler"}
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(scheduler))
    hide(monkeypatch, "torchsde")
    with pytest.raises(MissingExtraError, match=r'pip install "genav\[stable-audio\]"$'):
        DiffusersTextToAudioPipeline.from_pretrained(folder, device="cpu")


def test_xformers_import_failure_names_the_extra(monkeypatch) -> None:
    from genav.attention import backends

    backends._xformers_import_error.cache_clear()
    hide(monkeypatch, "xformers", "xformers.ops")
    try:
        assert 'pip install "genav[xformers]"' in backends._xformers_import_error()
    finally:
        backends._xformers_import_error.cache_clear()
