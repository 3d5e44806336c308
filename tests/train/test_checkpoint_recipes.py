"""The recipe JSON is the source of an embedded model's architecture: every committed checkpoint's
config equals the model its recipe declares (the recipe its model card's train command names),
and the Python preset ``tiny_config()`` is the foley-10m recipe's model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from genav.eval.classifiers.tagger import TaggerConfig
from genav.models import AudioMMDiTConfig, tiny_config
from genav.models.a2v_adaptor import A2VAdaptorConfig
from genav.models.audio_mmdit import model_summary
from genav.models.t2v_dit import T2VDiTConfig
from genav.registry import CHECKPOINTS_DIR
from genav.train.recipe import load_recipe

RECIPES = Path(__file__).resolve().parents[2] / "pipelines" / "recipes"
# config keys a training run fills in from its data (or, for an a2v adaptor, its backbone), not from the recipe
FROM_DATA = {"classes", "backbone", "backbone_checksum", "context_dim"}
CONFIG_CLASSES = {"audio-mmdit": AudioMMDiTConfig, "audio-tagger": TaggerConfig, "t2v-dit": T2VDiTConfig,
                  "a2v-adaptor": A2VAdaptorConfig}
COMMITTED = sorted(p.parent.name for p in CHECKPOINTS_DIR.glob("*/config.json"))
# trained by a command without a recipe (`genav train objects --out ...`: its options are its card's)
NO_RECIPE = {"genav-objects"}
FROM_RECIPES = [name for name in COMMITTED if name not in NO_RECIPE]


def recipe_of(folder: Path) -> Path:
    card = (folder / "MODEL_CARD.md").read_text()
    found = re.search(r"--recipe pipelines/recipes/([\w.-]+\.json)", card)
    assert found, f"{folder.name}/MODEL_CARD.md names no recipe (genav train ... --recipe pipelines/recipes/X.json)"
    return RECIPES / found.group(1)


def test_every_committed_checkpoint_is_checked():
    assert COMMITTED == [
        "genav-a2v-tiny", "genav-foley-tiny", "genav-objects", "genav-t2a-small", "genav-t2v-tiny", "genav-tagger"
    ]


@pytest.mark.parametrize("name", FROM_RECIPES)
def test_committed_checkpoint_config_equals_its_recipe_model(name):
    """Both read through the config class, so a key the recipe leaves at its default counts as
    declared; only what training takes from its data (the tagger's classes) comes from elsewhere."""
    folder = CHECKPOINTS_DIR / name
    model = load_recipe(recipe_of(folder)).model
    config = json.loads((folder / "config.json").read_text())
    cls = CONFIG_CLASSES[config["model_type"]]
    from_data = {k: config[k] for k in FROM_DATA if k in config}
    assert cls.from_dict({**model, **from_data}) == cls.from_dict(config), f"{name} differs from its recipe"
    assert all(config[k] == v for k, v in model.items() if k != "version"), name


def test_the_foley_tiny_checkpoint_loads_as_its_recipe_architecture():
    folder = CHECKPOINTS_DIR / "genav-foley-tiny"
    from_recipe = AudioMMDiTConfig.from_dict(load_recipe(recipe_of(folder)).model)
    assert AudioMMDiTConfig.load(folder / "config.json") == from_recipe
    assert 2.0e6 < model_summary(from_recipe)["parameters"] < 2.2e6  # what README and card say (2M)


def test_tiny_config_is_the_foley_10m_recipe_model():
    assert tiny_config() == AudioMMDiTConfig.from_dict(load_recipe(RECIPES / "foley-10m.json").model)
    assert 10.0e6 < model_summary(tiny_config())["parameters"] < 10.8e6  # its docstring: ~10.4M
