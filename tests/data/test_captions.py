"""Caption variants: one template per label is held out of training, the same for every clip."""

from __future__ import annotations

from collections import defaultdict

from genav.data.captions import caption_variants, held_out_caption, template_key, training_captions


def test_template_key_drops_clip_details():
    assert template_key("A single piano note, yamaha grand piano, around C4.") == "a single piano note"
    assert template_key("Cymbal crash (Crash Left, BJA Pacific kit).") == "cymbal crash"
    assert template_key("Butchering: squelchy cuts.") == "butchering"


def test_held_out_is_one_template_for_every_rotation():
    templates = [
        "Gritty steps on gravel, {d}.",
        "Shoes grinding stones, {d}.",
        "A single footstep on gravel, {d}.",
    ]
    rows = []
    for i, d in enumerate(["walking", "running", "walking"]):
        caps = [t.format(d=d) for t in templates]
        rows.append({"captions": caps[i:] + caps[:i]})
    held = {template_key(held_out_caption(r)) for r in rows}
    assert held == {"a single footstep on gravel"}
    for r in rows:
        train = training_captions(r)
        assert len(train) == 2 and held_out_caption(r) not in train
        assert all(template_key(c) not in held for c in train)


def test_single_caption_rows_train_on_it_and_hold_nothing_out():
    row = {"caption": "A frog."}
    assert caption_variants(row) == ["A frog."]
    assert held_out_caption(row) is None and training_captions(row) == ["A frog."]
    assert caption_variants({"captions": ["a", "a", " "]}) == ["a"]


def test_sfx2_held_out_templates_never_train(sfx2_manifest):
    held, trained = defaultdict(set), defaultdict(set)
    for row in sfx2_manifest:
        held[row["label"]].add(template_key(held_out_caption(row)))
        trained[row["label"]].update(template_key(c) for c in training_captions(row))
    assert len(held) == 62
    assert all(not (held[lab] & trained[lab]) for lab in held)


def test_training_manifest_has_one_row_per_training_caption(tmp_path):
    import json

    from genav.data.captions import write_training_manifest

    rows = [
        {"file": "a.wav", "split": "train", "captions": ["Zeta sound, x.", "Alpha sound, x.", "Beta sound, x."]},
        {"file": "b.wav", "split": "test", "captions": ["Zeta sound, y.", "Alpha sound, y."]},
        {"file": "c.wav", "split": "train", "caption": "Just one."},
    ]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    n = write_training_manifest(tmp_path / "m.jsonl", tmp_path / "out.jsonl")
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert n == 3 and [r["caption"] for r in out] == ["Zeta sound, x.", "Beta sound, x.", "Just one."]
    assert all(r["file"].startswith("/") and "captions" not in r for r in out)


def test_many_dropped_objects_are_named_in_the_plural():
    import numpy as np

    from genav.data.synth.captions import phrase, plural

    assert [plural(w) for w in ("box", "ball", "glass", "bench")] == ["boxes", "balls", "glasses", "benches"]
    for seed in range(6):
        text = phrase(np.random.default_rng(seed), "impact_many", n=2, object="box", material="wood")
        assert "boxes" in text and "boxs" not in text
