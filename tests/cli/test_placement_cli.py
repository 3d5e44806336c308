"""`genav foley --sound-model`: the prompt's sound placed at the events the model hears."""

from __future__ import annotations

import json

import pytest

from genav.errors import UnknownModelError
from genav.media import probe, read_audio
from tests.cli.conftest import FAST
from tests.cli.test_generate import genav


def test_foley_places_the_prompts_sound(clip, tmp_path):
    out = tmp_path / "out.mp4"
    proc = genav("foley", str(clip), "-o", str(out), "--prompt", "a door slams", "--sound-model", "debug-foley", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert probe(out).has_audio and read_audio(out).duration > 0
    side = json.loads(out.with_name(out.name + ".json").read_text())
    assert side["placement"]["sound_model"] == "debug-foley" and len(side["placement"]["onsets"]) == 1
    assert side["settings"]["prompt"] == "a door slams"


def test_sound_model_needs_a_prompt_and_a_known_model(clip, tmp_path):
    out = tmp_path / "out.mp4"
    proc = genav("foley", str(clip), "-o", str(out), "--sound-model", "debug-foley", *FAST)
    assert proc.returncode == 2 and "give --prompt" in proc.stdout + proc.stderr
    with pytest.raises(UnknownModelError, match="no-such-model"):  # main() turns it into one line, exit 1
        genav("foley", str(clip), "-o", str(out), "-p", "a bell", "--sound-model", "no-such-model", *FAST)
    assert not out.exists()
