"""The generic trainer: schedule, EMA, exact resume, atomic checkpoints, recipe strictness."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from torch import nn

from genav.errors import CheckpointError, ConfigError
from genav.train.checkpoints import latest_checkpoint, list_checkpoints
from genav.train.ema import EMA
from genav.train.recipe import Recipe, load_recipe
from genav.train.trainer import Trainer, batch_indices, lr_factor, make_accelerator


class Regression:
    """y = x @ w_true + noise, 64 items."""

    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(64, 8, generator=g)
        self.y = self.x @ torch.randn(8, 2, generator=g)

    def __len__(self) -> int:
        return 64

    def collate(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[list(indices)], self.y[list(indices)]


class StreamedRegression(torch.utils.data.Dataset):
    """The same data as a StreamSet: requests carry the step, items are read one by one."""

    def __init__(self) -> None:
        self.data = Regression()

    def __len__(self) -> int:
        return 64

    def batch_requests(self, step: int, picks):
        return [(i, step) for i, _ in picks]

    def __getitem__(self, request):
        return self.data.x[request[0]], self.data.y[request[0]]

    def collate(self, items):
        return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])


def loss_fn(model: nn.Module, batch, generator: torch.Generator) -> torch.Tensor:
    x, y = batch
    noise = 0.01 * torch.randn(x.shape, generator=generator)
    return (model(x + noise) - y).pow(2).mean()


def recipe(**changes) -> Recipe:
    base = Recipe(
        batch_size=8,
        steps=40,
        lr=0.05,
        warmup_steps=4,
        ckpt_every=10,
        val_every=20,
        log_every=5,
        ema_decay=0.9,
        val_samples=0,
    )
    return base.replace(**changes)


def run(tmp: Path, *, steps: int = 40, resume: bool = False, stop_after: int | None = None, **changes):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2))
    data = Regression()
    trainer = Trainer(
        model,
        recipe(**changes),
        loss_fn=loss_fn,
        train_set=data,
        val_set=data,
        run_dir=tmp,
        accelerator=make_accelerator("no", "cpu"),
        progress=False,
    )
    return trainer, trainer.fit(steps=steps, resume=resume, stop_after=stop_after)


def test_loss_goes_down_and_metrics_are_logged(tmp_path: Path) -> None:
    trainer, result = run(tmp_path)
    assert result.step == 40
    assert result.val_loss < 0.2 * result.initial_val_loss
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[0] == {"step": 0, "val_loss": result.initial_val_loss}
    assert [r["step"] for r in rows if "loss" in r] == list(range(5, 41, 5))
    assert [r["step"] for r in rows if "val_loss_ema" in r] == [20, 40]


def test_stop_and_resume_equals_straight_run(tmp_path: Path) -> None:
    straight, res_a = run(tmp_path / "a")
    _, stopped = run(tmp_path / "b", stop_after=25)
    assert stopped.step == 25
    assert latest_checkpoint(tmp_path / "b" / "checkpoints").name == "step-000025"
    resumed, res_b = run(tmp_path / "b", resume=True)
    assert res_b.step == res_a.step == 40
    for (k, a), b in zip(
        straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7, msg=k)
    for a, b in zip(straight.export_state_dict().values(), resumed.export_state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert resumed.ema.updates == straight.ema.updates == 40
    metrics_a = (tmp_path / "a" / "metrics.jsonl").read_text()
    metrics_b = (tmp_path / "b" / "metrics.jsonl").read_text()
    assert [json.loads(x)["step"] for x in metrics_a.splitlines()] == [
        json.loads(x)["step"] for x in metrics_b.splitlines()
    ]


def test_checkpoints_are_pruned_and_resume_needs_same_recipe(tmp_path: Path) -> None:
    run(tmp_path, keep_checkpoints=2)
    names = [p.name for p in list_checkpoints(tmp_path / "checkpoints")]
    assert names == ["step-000030", "step-000040"]
    assert not list((tmp_path / "checkpoints").glob(".*tmp*"))
    with pytest.raises(CheckpointError, match="different recipe"):
        run(tmp_path, resume=True, steps=50, lr=0.01)


def test_resume_without_checkpoint_starts_fresh(tmp_path: Path) -> None:
    _, result = run(tmp_path, resume=True, steps=5)
    assert result.step == 5


def test_lr_schedule_and_batches() -> None:
    factors = [lr_factor(s, warmup=4, total=20, min_ratio=0.1) for s in range(21)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert factors[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(factors[3:], factors[4:], strict=False))
    seen = [i for s in range(8) for i in batch_indices(s, 8, 64, seed=0)]
    assert sorted(seen) == list(range(64))  # one epoch covers every item once
    assert batch_indices(3, 8, 64, 0) == batch_indices(3, 8, 64, 0)
    assert batch_indices(8, 8, 64, 0) != batch_indices(0, 8, 64, 0)  # a new permutation per epoch
    assert len(batch_indices(0, 10, 3, 0)) == 10  # fewer items than a batch: wraps over epochs


def test_ema_tracks_weights_and_swaps_them_in() -> None:
    model = nn.Linear(2, 2)
    ema = EMA(model, decay=0.5)
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update()  # first update: decay min(0.5, 1/10) = 0.1
    expected = 0.1 * (model.weight - 1.0) + 0.9 * model.weight
    current = model.weight.detach().clone()
    torch.testing.assert_close(ema.weights()["weight"], expected)
    with ema.applied():
        torch.testing.assert_close(model.weight.detach(), expected)
    torch.testing.assert_close(model.weight.detach(), current)  # the trained weights come back
    state = ema.state_dict()
    other = EMA(model, decay=0.5)
    other.load_state_dict(state)
    assert other.updates == 1
    torch.testing.assert_close(other.weights()["weight"], expected)
    torch.testing.assert_close(model.weight.detach(), current)


def test_in_memory_and_streamed_sets_give_the_same_batches(tmp_path: Path) -> None:
    """A TrainSet and a StreamSet over the same data, with and without workers, train identically."""
    _, plain = run(tmp_path / "a", steps=12)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2))
    trainer = Trainer(
        model,
        recipe(),
        loss_fn=loss_fn,
        train_set=StreamedRegression(),
        val_set=Regression(),
        run_dir=tmp_path / "b",
        accelerator=make_accelerator("no", "cpu"),
        progress=False,
        num_workers=2,
    )
    streamed = trainer.fit(steps=12)
    assert [r["loss"] for r in plain.history if "loss" in r] == [
        r["loss"] for r in streamed.history if "loss" in r
    ]
    assert len(streamed.step_seconds) == 12


def test_recipe_unknown_key_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"task": "foley", "batch_size": 4, "learning_rate": 0.1}))
    with pytest.raises(ConfigError, match=r"r\.json.*unknown config keys \['learning_rate'\]"):
        load_recipe(path)
    path.write_text(json.dumps({"task": "foley", "data": {"synth": {"clips": 4, "colour": 1}}}))
    with pytest.raises(ConfigError, match="colour"):
        load_recipe(path)
    path.write_text(json.dumps({"task": "foley", "steps": 0}))
    with pytest.raises(ConfigError, match="steps"):
        load_recipe(path)


def test_recipe_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "r.json"
    path.write_text(json.dumps({"data": {"manifests": ["../m.jsonl", "/abs/x.jsonl"]}}))
    r = load_recipe(path)
    assert r.data.manifests == (str(tmp_path / "m.jsonl"), "/abs/x.jsonl")
