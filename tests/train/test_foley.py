"""Foley training end to end on the synthetic world: loss drops, exact resume, model folder, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from genav.checkpoint import load_model_folder, load_safetensors, load_state_strict
from genav.errors import CheckpointError, ConfigError, OutputExistsError
from genav.models import AudioMMDiT, AudioMMDiTConfig
from genav.train.foley import train_foley
from genav.train.recipe import load_recipe

REPO = Path(__file__).resolve().parents[2]
DEBUG_RECIPE = REPO / "pipelines" / "recipes" / "foley-debug.json"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("foley-cache")


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory, cache: Path):
    out = tmp_path_factory.mktemp("runs") / "straight"
    return train_foley(load_recipe(DEBUG_RECIPE), out, cache_dir=cache, device="cpu", progress=False)


def test_debug_recipe_lowers_the_loss_by_a_third(straight) -> None:
    res = straight.result
    assert res.step == 50
    assert straight.train_items == 32 and straight.val_items == 4
    assert res.val_loss <= 0.7 * res.initial_val_loss, (res.initial_val_loss, res.val_loss)


def test_model_folder_loads_strictly(straight) -> None:
    out = straight.model_dir
    config, state = load_model_folder(out, AudioMMDiTConfig)
    assert config.family == "foley"
    load_state_strict(AudioMMDiT(config), state)
    card = (out / "MODEL_CARD.md").read_text()
    assert "synthetic world" in card and "final validation loss" in card
    samples = sorted((out / "train" / "samples" / "step-000050").glob("*.wav"))
    assert len(samples) == 1
    rows = [json.loads(x) for x in (out / "train" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 50


def test_stop_and_resume_matches_straight_run(straight, tmp_path: Path, cache: Path) -> None:
    recipe = load_recipe(DEBUG_RECIPE)
    out = tmp_path / "resumed"
    first = train_foley(recipe, out, cache_dir=cache, device="cpu", progress=False, stop_after=25)
    assert first.result.step == 25 and not (out / "model.safetensors").exists()
    with pytest.raises(OutputExistsError):
        train_foley(recipe, out, cache_dir=cache, device="cpu", progress=False)
    second = train_foley(recipe, out, cache_dir=cache, device="cpu", progress=False, resume=True)
    assert second.result.step == 50
    a = load_safetensors(straight.model_dir / "model.safetensors")
    b = load_safetensors(out / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)


def test_recipe_model_errors_name_the_key(tmp_path: Path) -> None:
    data = json.loads(DEBUG_RECIPE.read_text())
    data["model"]["hiden"] = 3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="recipe model: .*hiden"):
        train_foley(load_recipe(path), tmp_path / "out", device="cpu", progress=False)


def test_cli_unknown_recipe_key_is_one_line(tmp_path: Path) -> None:
    data = json.loads(DEBUG_RECIPE.read_text())
    data["stepz"] = 3
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    env = {**os.environ, "GENAV_DEBUG": "", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "genav",
            "train",
            "foley",
            "--recipe",
            str(path),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"genav: error: recipe {path}: Recipe: unknown config keys ['stepz']"
    ]
    assert not (tmp_path / "o").exists()


def test_cli_threads_are_checked_and_applied(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from genav.cli.app import app

    args = ["train", "foley", "--recipe", str(DEBUG_RECIPE), "--out", str(tmp_path / "o")]
    bad = CliRunner().invoke(app, [*args, "--threads", "0"])
    assert bad.exit_code != 0 and "--threads must be at least 1" in str(bad.exception or bad.output)
    assert not (tmp_path / "o").exists()
    before = torch.get_num_threads()
    try:  # a recipe error after the threads are set: nothing trains, the setting is visible
        broken = tmp_path / "r.json"
        broken.write_text(json.dumps({**json.loads(DEBUG_RECIPE.read_text()), "stepz": 1}))
        CliRunner().invoke(app, ["train", "foley", "--recipe", str(broken), "--out", str(tmp_path / "o"),
                                 "--threads", "1"])  # fmt: skip
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
def test_accelerate_launch_one_cpu_process(tmp_path: Path, cache: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--cpu",
        "--num_processes",
        "1",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "genav",
        "train",
        "foley",
        "--recipe",
        str(DEBUG_RECIPE),
        "--out",
        str(tmp_path / "acc"),
        "--steps",
        "6",
        "--cache-dir",
        str(cache),
        "--quiet",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "acc" / "model.safetensors").exists()
    assert "trained" in proc.stdout


def test_step_time_runs_through_the_trainer() -> None:
    from genav.bench.train import time_train_step

    res = time_train_step(load_recipe(DEBUG_RECIPE), batch_size=2, seconds=0.8, steps=2, device="cpu")
    assert len(res["all_step_seconds"]) == 3 and 0 < res["step_seconds"] < 60
    assert res["parameters"] > 100_000 and res["seconds_of_audio"] == 0.8


def test_fine_tuning_starts_from_a_model_and_adds_the_onset_head(straight, tmp_path: Path, cache: Path) -> None:
    data = json.loads(DEBUG_RECIPE.read_text())
    data.update(init_from=str(straight.model_dir), steps=2, val_every=2, ckpt_every=2)
    data["model"]["onset_loss_weight"] = 1.0
    path = tmp_path / "tune.json"
    path.write_text(json.dumps(data))
    tuned = train_foley(load_recipe(path), tmp_path / "tuned", cache_dir=cache, device="cpu", progress=False)
    # it starts near where the straight run ended (plus the fresh onset head's loss), far below a fresh start
    assert tuned.result.initial_val_loss < 0.8 * straight.result.initial_val_loss
    state = load_safetensors(tuned.model_dir / "model.safetensors")
    assert "onset_head.weight" in state
    assert f"started from the weights of {straight.model_dir}" in (tuned.model_dir / "MODEL_CARD.md").read_text()
    data["model"]["hidden"] = 32  # another architecture: the weights do not fit
    data["model"]["heads"] = 2
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="shape mismatch"):
        train_foley(load_recipe(path), tmp_path / "other", cache_dir=cache, device="cpu", progress=False)


def test_cli_init_from_names_an_unknown_model(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from genav.cli.app import app
    from genav.errors import UnknownModelError

    result = CliRunner().invoke(app, ["train", "foley", "--recipe", str(DEBUG_RECIPE), "--out", str(tmp_path / "o"),
                                      "--init-from", "genav-foly-tiny", "--threads", "1", "-q"])  # fmt: skip
    assert isinstance(result.exception, UnknownModelError) and "genav-foly-tiny" in str(result.exception)
    assert not (tmp_path / "o" / "train" / "checkpoints").exists()


def test_clips_already_encoded_train_without_loading_the_text_encoder(
    straight, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import genav.encoders

    manifest = [str(next(cache.glob("synth-*/train/manifest.jsonl")))]
    data = json.loads(DEBUG_RECIPE.read_text())
    data.update(steps=2, val_every=2, ckpt_every=2)
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(data))
    train_foley(load_recipe(path), tmp_path / "first", data=manifest, cache_dir=cache, device="cpu", progress=False)

    def refuse(spec):  # noqa: ANN001, ANN202
        raise AssertionError("the text encoder was loaded")

    monkeypatch.setattr(genav.encoders, "build_text_encoder", refuse)
    again = train_foley(load_recipe(path), tmp_path / "again", data=manifest, cache_dir=cache, device="cpu",
                        progress=False)  # fmt: skip
    assert again.result.step == 2
    # the cached text states are checked against the model as the encoder's were
    data["model"]["text_dim"] += 8
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="text_dim"):
        train_foley(load_recipe(path), tmp_path / "wide", data=manifest, cache_dir=cache, device="cpu", progress=False)
    assert not (tmp_path / "wide").exists()
