from genav.pipelines.bench_sync import bench_sync


def test_bench_sync_scores_true_generated_and_shuffled(tmp_path):
    result = bench_sync("debug-foley", n=2, steps=2, workdir=tmp_path)
    assert result["n_clips"] == 2 and result["model"] == "debug-foley"
    # The true pair is the synthetic world's ground truth: near-perfect under AV-Align's detectors.
    assert result["av_align_true"] >= 0.8 and result["onset_f1_true"] >= 0.8
    for kind in ("generated", "shuffled"):
        assert result[f"onset_f1_{kind}"] is not None
    assert not list(tmp_path.iterdir())  # the work folder is cleaned up
