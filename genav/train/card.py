"""The one writer of MODEL_CARD.md for models trained by ``genav train``: every card has the same
title / description / sections layout and the same Training and Losses sections; each task
supplies its own Model and Data lines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the card writer stays light for pipelines that save models
    from genav.train.recipe import Recipe
    from genav.train.trainer import TrainResult

# recipe keys a card states in its own sections rather than in the settings line
CARD_OMITS = ("model_type", "version", "model", "data", "description")


def fmt_number(x: float | None, digits: int = 4) -> str:
    """``x`` with ``digits`` decimals, or ``n/a`` for a value that was not measured."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def recipe_settings(recipe: Recipe, *, omit: tuple[str, ...] = CARD_OMITS) -> dict[str, Any]:
    """The recipe's optimisation settings (its JSON keys less ``omit``)."""
    return {k: v for k, v in recipe.to_dict().items() if k not in omit}


def fine_tuned_lines(recipe: Recipe) -> list[str]:
    """The card line naming the weights a fine-tuning run (``init_from``) started from; none otherwise."""
    return [f"- fine-tuned: started from the weights of {recipe.init_from}"] if recipe.init_from else []


def training_section(recipe: Recipe, result: TrainResult, command: str | None, default_command: str) -> list[str]:
    """``## Training``: the command, steps, global batch, learning rate, EMA, time and settings."""
    return [
        "## Training",
        f"- command: `{command or default_command}`",
        f"- steps: {result.step}, global batch {recipe.batch_size}, lr {recipe.lr:g}, EMA {recipe.ema_decay:g}; "
        f"{result.seconds / 60:.0f} minutes in the last training call",
        f"- settings: `{json.dumps(recipe_settings(recipe), sort_keys=True)}`",
        "",
    ]


def losses_section(result: TrainResult, objective: str) -> list[str]:
    """``## Losses``: validation loss at step 0 and at the end (also with the EMA weights), training loss."""
    return [
        f"## Losses ({objective}, lower is better)",
        f"- validation loss at step 0: {fmt_number(result.initial_val_loss)}",
        f"- final validation loss: {fmt_number(result.val_loss)} (EMA weights: {fmt_number(result.val_loss_ema)})",
        f"- final training loss: {fmt_number(result.train_loss)}",
        "",
    ]


def write_card(title: str, description: str, *sections: list[str], extra: str = "") -> str:
    """The card text: ``# title``, the description, then each section's lines (+ ``extra``)."""
    lines = [f"# {title}", "", description, ""]
    for section in sections:
        lines += section
    return "\n".join(lines) + extra
