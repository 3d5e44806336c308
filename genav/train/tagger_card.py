"""The model card of a trained genav tagger: data, licences, command, held-out accuracy."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from genav.data.manifest import licence_summary
from genav.train.card import CARD_OMITS, fmt_number, recipe_settings

if TYPE_CHECKING:
    from genav.train.recipe import Recipe
    from genav.train.tagger import TaggerOptions
    from genav.train.tagger_run import TaggerRun


def model_card(
    run: TaggerRun, recipe: Recipe, options: TaggerOptions, *, skipped: list[str], command: str | None
) -> str:
    """Markdown: what the tagger is, what it was trained on (with licences), how, and how well."""
    cfg = run.model.config
    params = sum(p.numel() for p in run.model.parameters())
    head = [
        f"# {cfg.name}",
        "",
        "genav's own small audio classifier: the offline judge of `genav eval t2a` / `genav eval v2a` and the "
        "default classifier for KLD, FD/FAD and IS. Results computed with it are labelled `genav-tagger` and are "
        "**not comparable** with published tables (those use AudioSet classifiers: PANNs CNN14, PaSST).",
        "",
        "## Model",
        "",
        f"- log-mel front end as PANNs CNN14 at {cfg.sample_rate} Hz (n_fft {cfg.n_fft}, hop {cfg.hop}, "
        f"{cfg.n_mels} Slaney mels, {cfg.fmin:g}-{cfg.fmax:g} Hz, 10 log10), "
        + ("" if cfg.trim_db is None else f"clips judged from their first to their last 10 ms frame within "
           f"{cfg.trim_db:g} dB of their loudest (silence around a sound does not change the judgement), ")
        + f"clips shorter than {cfg.min_seconds:g} s zero-padded; each clip referred to its own peak and floored "
        f"{cfg.db_range:g} dB below it (level-independent);",
        f"- {len(cfg.channels)} conv blocks ({', '.join(map(str, cfg.channels))} channels), mean over mel, "
        f"max + mean over time, {cfg.embedding_dim}-d embedding (FD), {len(cfg.classes)} logits;",
        f"- {params:,} parameters.",
        "",
        f"Classes: {', '.join(f'`{c}`' for c in cfg.classes)}.",
        "",
    ]
    return "\n".join(head + _data(run, recipe, options, skipped) + _training(run, recipe, options, command)
                     + _results(run.report))  # fmt: skip


def _data(run: TaggerRun, recipe: Recipe, options: TaggerOptions, skipped: list[str]) -> list[str]:
    rec = [c for c in run.train_clips if not c.name.startswith("synth/")]
    syn = [c for c in run.train_clips if c.name.startswith("synth/")]
    counts = Counter(c.label for c in run.train_clips)
    lines = [
        "## Data",
        "",
        f"- {len(rec)} recorded clips: rows of split `{recipe.data.split}` of "
        + ", ".join(f"`{m}`" for m in recipe.data.manifests)
        + f" (class = the row's label; {len(skipped)} rows without a class skipped).",
        f"- {len(syn)} event snippets (0.1 s before to 0.9 s after each audible event) of "
        f"{options.synth_per_type} single-source clips per event type of genav's synthetic world "
        "(`genav.data.synth`, training seeds); licence: generated here, same as genav.",
    ]
    if options.codec_augment:
        lines.append("- every clip also once after a round trip through the default mel codec (Griffin-Lim), so that "
                     "generated audio is judged by its content, not by its codec artefacts.")  # fmt: skip
    lines += [f"- training clips per class: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}.", ""]
    lines += ["Licences of the recorded clips (full texts in each data set's `LICENSES/`; attribution per clip in the "
              "manifest's `licence` and `source` fields):", ""]  # fmt: skip
    for m in recipe.data.manifests:
        lines += [f"- {n} clips: {text}" for text, n in licence_summary(m)]
    return [*lines, ""]


def _training(run: TaggerRun, recipe: Recipe, options: TaggerOptions, command: str | None) -> list[str]:
    settings = recipe_settings(recipe, omit=(*CARD_OMITS, "options"))
    return [
        "## Training",
        "",
        f"- command: `{command or 'genav train tagger --recipe RECIPE --out OUT'}`",
        "- the generic genav trainer (`genav.train.trainer.Trainer`: AdamW, warmup + cosine, EMA, resumable): "
        f"{run.result.step} steps of batch {recipe.batch_size}, random {recipe.data.crop_seconds or 1.0:g} s crops, "
        f"gain {options.gain_db[0]:g}..{options.gain_db[1]:+g} dB, one frequency (< {options.freq_mask} bins) and one "
        f"time (< {options.time_mask} frames) mask, label smoothing {options.label_smoothing:g}, class weights "
        f"count^-{options.class_weight_power:g}; the shipped weights are the EMA weights at the last step.",
        f"- recipe settings: `{json.dumps(settings, sort_keys=True)}`",
        f"- training time: {run.result.seconds / 60:.1f} min on a 2-core CPU (shared with other jobs).",
        "",
    ]


def _results(report: dict[str, Any]) -> list[str]:
    lines = ["## Held-out accuracy", ""]
    names = {
        "recorded": "recorded test clips (whole clips, ranked among the recorded-sound classes)",
        "recorded_codec": "the same clips after a mel-codec round trip (the ceiling for generated audio)",
        "synthetic": "synthetic-world event snippets of test seeds (ranked among the synthetic classes)",
    }
    lines += ["| clips | n | top-1 | top-3 |", "|---|---:|---:|---:|"]
    for key, text in names.items():
        if key in report:
            r = report[key]
            lines.append(f"| {text} | {r['n']} | {fmt_number(r['top1'], 3)} | {fmt_number(r['top3'], 3)} |")
    lines.append("")
    for key in ("recorded", "synthetic"):
        if key not in report:
            continue
        codec = report.get("recorded_codec", {}).get("per_label", {}) if key == "recorded" else {}
        lines += [
            f"Per label ({key}):",
            "",
            "| label | n | top-1 | top-3 | top-1 after codec |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, r in report[key]["per_label"].items():
            after = fmt_number(codec[label]["top1"], 3) if label in codec else "-"
            lines.append(f"| {label} | {r['n']} | {r['top1']:.2f} | {r['top3']:.2f} | {after} |")
        lines.append("")
    return lines
