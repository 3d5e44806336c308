"""The shipped recipes parse strictly and their models fit the issue's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from genav.train.recipe import load_recipe

RECIPES = Path(__file__).resolve().parents[2] / "pipelines" / "recipes"


def test_foley_small_fits_25_mb_in_fp16_and_trains_on_distractors_at_mixed_rates():
    from genav.data.synth import SynthSettings
    from genav.models import AudioMMDiT
    from genav.train.foley import model_config_of

    recipe = load_recipe(RECIPES / "foley-small.json")
    cfg = model_config_of(recipe)
    assert cfg.video is not None and cfg.video.fps == 25.0 and cfg.max_duration == 10.0
    settings = SynthSettings.from_dict(recipe.data.synth.settings)
    assert settings.p_silent > 0 and settings.p_cut > 0 and min(settings.fps_choices) == 8 and max(settings.fps_choices) == 30
    assert AudioMMDiT(cfg).num_parameters() * 2 < 25 * 2**20  # fp16 weights


@pytest.mark.slow  # ~5-20 s: a 6.6M-parameter model
def test_foley_small_trains_a_few_steps():
    from genav.bench.train import time_train_step

    res = time_train_step(load_recipe(RECIPES / "foley-small.json"), batch_size=2, seconds=1.0, steps=2, device="cpu")
    assert all(t > 0 for t in res["all_step_seconds"])


def test_the_t2a_stages_continue_one_model_at_a_larger_batch_then_on_longer_windows():
    from genav.train.foley import model_config_of

    stages = [load_recipe(RECIPES / n) for n in ("t2a-small.json", "t2a-small-gpu.json", "t2a-small-long.json")]
    assert stages[0].model == stages[1].model == stages[2].model  # one architecture: each stage --init-from the last
    assert stages[0].data.manifests == stages[1].data.manifests == stages[2].data.manifests
    assert [r.batch_size for r in stages] == [12, 128, 128] and [r.steps for r in stages] == [6500, 3900, 1200]
    assert [tuple(r.data.crop_range) for r in stages] == [(1.0, 4.0), (1.0, 4.0), (1.0, 10.0)]
    assert stages[2].data.crop_range[1] == model_config_of(stages[2]).max_duration


@pytest.mark.slow  # ~5-20 s: a 6.6M-parameter model on 8 s windows
def test_the_long_window_t2a_stage_trains_a_few_steps():
    from genav.bench.train import time_train_step

    res = time_train_step(load_recipe(RECIPES / "t2a-small-long.json"), batch_size=2, seconds=8.0, steps=2,
                          device="cpu")  # fmt: skip
    assert all(t > 0 for t in res["all_step_seconds"])


@pytest.mark.parametrize("name", ["genav-tagger.json", "mel-vocoder.json"])
def test_task_recipes_parse_strictly(name):
    recipe = load_recipe(RECIPES / name)
    if recipe.task == "tagger":
        from genav.train.tagger_run import config_of, options_of

        assert options_of(recipe).codec_augment and config_of(recipe).sample_rate == 16000
        # the judge pads a short clip to the crop it learnt from (shorter padding: top-1 0.577 vs 0.631)
        assert config_of(recipe).min_seconds == recipe.data.crop_seconds
    else:
        from genav.train.vocoder import codec_config_of

        assert codec_config_of(recipe).vocoder_channels > 0


def test_old_sample_setting_names_load_with_a_warning_and_keep_the_fingerprint():
    import warnings

    import pytest

    from genav.errors import ConfigError
    from genav.train.recipe import Recipe

    new = Recipe(sample_num_steps=9, sample_guidance_scale=2.5)
    with pytest.warns(DeprecationWarning, match="'sample_cfg' is deprecated, use 'sample_guidance_scale'"):
        old = Recipe.from_dict({"sample_steps": 9, "sample_cfg": 2.5})
    assert old == new and "sample_num_steps" in new.to_dict() and "sample_steps" not in new.to_dict()
    # a run started before the rename resumes: the fingerprint is computed under the old names
    assert new.fingerprint() == "a00c78190aaf0129"  # Recipe(sample_steps=9, sample_cfg=2.5) before
    with pytest.raises(ConfigError, match="give 'sample_num_steps' only"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Recipe.from_dict({"sample_steps": 9, "sample_num_steps": 9})


@pytest.mark.parametrize("path", sorted((RECIPES / "experiments").glob("*.json")), ids=lambda p: p.name)
def test_experiment_recipes_parse_and_build(path):
    """The recipes of the runs the README reports (not shipped) still load and build their model."""
    from genav.models import AudioMMDiT
    from genav.train.foley import model_config_of

    recipe = load_recipe(path)
    assert AudioMMDiT(model_config_of(recipe)).num_parameters() > 0


@pytest.mark.parametrize("path", sorted(RECIPES.rglob("*.json")), ids=lambda p: p.relative_to(RECIPES).as_posix())
def test_recipe_manifests_point_into_the_shared_data_beside_the_checkout(path):
    """Relative manifest paths resolve against the recipe's own folder: a recipe one folder deeper
    needs one more '..' (a wrong count fails only when the run starts)."""
    shared = RECIPES.parents[2] / "shared" / "data"
    recipe = load_recipe(path)
    for manifest in (*recipe.data.manifests, *recipe.data.val_manifests):
        assert Path(manifest).is_relative_to(shared), manifest


def test_init_from_is_refused_where_no_trainer_reads_it():
    from genav.errors import ConfigError
    from genav.train.recipe import Recipe

    with pytest.raises(ConfigError, match="init_from is for tasks foley, t2v, not 'tagger'"):
        Recipe(task="tagger", init_from="genav-tagger")
    assert Recipe(task="foley", init_from="genav-foley-tiny").init_from == "genav-foley-tiny"
    assert Recipe(task="t2v", init_from="genav-t2v-tiny").init_from == "genav-t2v-tiny"


def _write(path: Path, data: dict) -> Path:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_extends_overrides_key_by_key_and_replaces_lists(tmp_path):
    _write(tmp_path / "base.json", {
        "task": "foley", "steps": 100, "lr": 3e-4,
        "data": {"synth": {"clips": 50, "settings": {"fps": 10, "p_cut": 0.1}}, "manifests": ["a/m.jsonl"]},
    })  # fmt: skip
    child = _write(tmp_path / "deeper" / "child.json", {
        "extends": "../base.json", "steps": 7,
        "data": {"synth": {"settings": {"p_cut": 0.3, "fps_choices": [10, 25]}}},
    })  # fmt: skip
    recipe = load_recipe(child)
    assert (recipe.steps, recipe.lr, recipe.data.synth.clips) == (7, 3e-4, 50)
    assert recipe.data.synth.settings == {"fps": 10, "p_cut": 0.3, "fps_choices": [10, 25]}
    # the base's relative path is relative to the base's folder, not the child's
    assert recipe.data.manifests == (str((tmp_path / "a" / "m.jsonl").resolve()),)
    swap = _write(tmp_path / "swap.json", {"extends": "base.json", "data": {"manifests": ["b.jsonl"]}})
    assert load_recipe(swap).data.manifests == (str((tmp_path / "b.jsonl").resolve()),)


def test_extends_errors_name_the_file(tmp_path):
    from genav.errors import ConfigError

    _write(tmp_path / "a.json", {"extends": "b.json"})
    _write(tmp_path / "b.json", {"extends": "a.json"})
    with pytest.raises(ConfigError, match="loops back"):
        load_recipe(tmp_path / "a.json")
    _write(tmp_path / "c.json", {"extends": "missing.json"})
    with pytest.raises(ConfigError, match="not found.*missing.json"):
        load_recipe(tmp_path / "c.json")
    _write(tmp_path / "d.json", {"extends": "foley-tiny.json", "stepz": 3})
    _write(tmp_path / "foley-tiny.json", {"task": "foley"})
    with pytest.raises(ConfigError, match=r"d\.json.*unknown config keys \['stepz'\]"):
        load_recipe(tmp_path / "d.json")


def test_the_stage_two_recipe_trains_what_its_spelled_out_copy_did():
    """foley-tiny-finetune.json extends foley-tiny.json; its fingerprint is the one of the full
    copy the shipped genav-foley-tiny was trained with (so that run still resumes)."""
    from genav.train.recipe import Recipe

    recipe = load_recipe(RECIPES / "foley-tiny-finetune.json")
    merged = recipe.to_dict()
    # The relative manifest path resolves against wherever this checkout lies; the run was made
    # from /work/main, so the hash is taken with the path it resolved to there.
    assert [Path(m).parts[-4:] for m in merged["data"]["manifests"]] == [("shared", "data", "sfx", "manifest.jsonl")]
    merged["data"]["manifests"] = ["/work/shared/data/sfx/manifest.jsonl"]
    assert Recipe.from_dict(merged).fingerprint() == "568a929e7a831471"
    assert recipe.model == load_recipe(RECIPES / "foley-tiny.json").model
    # its generation window and prompt guidance came later: they change how the model generates, not
    # the run, nor its fingerprint
    merged["model"]["generation_window"] = 2.0
    merged["model"]["text_guidance_scale"] = 7.0
    assert Recipe.from_dict(merged).fingerprint() == "568a929e7a831471"
    merged["model"]["hidden"] *= 2
    assert Recipe.from_dict(merged).fingerprint() != "568a929e7a831471"


def _stage(name: str, previous: str):
    """(recipe, the previous stage's recipe, its synth settings, the previous stage's) of a foley-tiny stage."""
    from genav.data.synth import SynthSettings

    recipe, before = load_recipe(RECIPES / name), load_recipe(RECIPES / previous)
    return (recipe, before, SynthSettings.from_dict(recipe.data.synth.settings),
            SynthSettings.from_dict(before.data.synth.settings))  # fmt: skip


def _trains_a_few_steps(recipe) -> None:
    from genav.bench.train import time_train_step

    res = time_train_step(recipe, batch_size=2, seconds=1.0, steps=2, device="cpu")
    assert all(t > 0 for t in res["all_step_seconds"])


def test_the_stage_three_recipe_dubs_fresh_clips_and_trains_a_few_steps():
    recipe, stage2, settings, _ = _stage("foley-tiny-dub.json", "foley-tiny-finetune.json")
    assert 0 < settings.p_dub < 1 and settings.p_silent == 0.1 and settings.p_cut == 0.3
    assert recipe.data.synth.seed != stage2.data.synth.seed  # clips stages 1-2 never saw
    assert recipe.model == stage2.model and recipe.lr == stage2.lr
    _trains_a_few_steps(recipe)


def test_the_flicker_stage_swings_the_lights_on_fresh_clips_and_trains_a_few_steps():
    recipe, stage4, settings, _ = _stage("foley-tiny-flicker.json", "foley-tiny-phased.json")
    assert settings.flicker_brightness > 0 and settings.p_flicker > 0.3 and settings.fps_choices == (10, 25, 30)
    assert recipe.data.synth.seed not in {stage4.data.synth.seed, 0, 1}  # clips stages 1-4 never saw
    assert recipe.model == stage4.model and recipe.options == stage4.options
    _trains_a_few_steps(recipe)


def test_the_dub_flicker_stage_dubs_more_fresh_clips_and_swings_the_lights_harder():
    recipe, stage5, settings, before = _stage("foley-tiny-dub-flicker.json", "foley-tiny-flicker.json")
    assert settings.p_dub > before.p_dub and settings.flicker_brightness > before.flicker_brightness
    assert recipe.data.synth.seed not in {stage5.data.synth.seed, 0, 1, 2}  # clips stages 1-5 never saw
    assert recipe.model == stage5.model and recipe.options == stage5.options and recipe.steps == stage5.steps
