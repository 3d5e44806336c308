from genav.pipelines.eval_v2a import eval_v2a, swap_prompts, v2a_markdown


def test_eval_v2a_scores_true_generated_and_shuffled(tmp_path):
    result = eval_v2a("debug-foley", n=2, fps=(10, 25), num_steps=2, text_guidance_scale=6.0, workdir=tmp_path)
    assert result["n_clips"] == 2 and result["model"] == "debug-foley"
    assert result["num_steps"] == 2 and "steps" not in result and "cfg" not in result  # one name per setting
    r = result["by_fps"]["10"]
    # The true pair is the synthetic world's ground truth: near-perfect under AV-Align's detectors.
    assert r["av_align_true"] >= 0.8 and r["onset_f1_true"] >= 0.8
    for kind in ("generated", "shuffled"):
        assert r[f"onset_f1_{kind}"] is not None
    assert r["peak_before_gain"]["max"] > 0
    # the 10 fps model reads 25 fps clips in 3 phases (genav.models.sync_phases), and says so
    assert r["sync_phases"] == [1] and result["by_fps"]["25"]["sync_phases"] == [3]
    assert "| 10 | 1 |" in v2a_markdown(result) and "| 25 | 3 |" in v2a_markdown(result)
    assert result["text_guidance_scale"] == 6.0 and "CFG 4.5 (text 6)" in v2a_markdown(result)
    assert not list(tmp_path.iterdir())  # the work folder is cleaned up


def test_swap_prompts_name_another_class():
    from genav.eval.classifiers.tagger_labels import SYNTH_CLASS_OF_EVENT

    rows = [{"label": "impact"}, {"label": "bounce"}, {"label": "drum"}, {"label": "slide"}]
    prompts = swap_prompts(rows, seed=0)
    for row, (text, cls) in zip(rows, prompts, strict=True):
        assert text and cls != SYNTH_CLASS_OF_EVENT[row["label"]]
    assert len({cls for _, cls in prompts}) >= 2


def test_eval_v2a_on_longer_clips_in_windows(tmp_path):
    result = eval_v2a("debug-foley", n=2, fps=(10,), num_steps=1, seconds=6.0, window=2.5, workdir=tmp_path)
    assert result["seconds_per_clip"] == 6.0 and result["window"] == 2.5 and "6 s" in result["clips"]
    assert "generated in windows of 2.5 s" in v2a_markdown(result)
    assert result["by_fps"]["10"]["onset_f1_true"] >= 0.8  # the longer clips are scored whole
