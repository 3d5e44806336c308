from genav.eval.metrics.event_f1 import event_f1, pooled_f1


def test_event_f1_one_to_one_within_tolerance():
    r = event_f1([0.50, 0.52, 1.20, 2.0], [0.5, 1.16, 3.0], tolerance=0.05)
    assert (r["hits"], r["detected"], r["true"]) == (2, 4, 3)
    assert abs(r["precision"] - 0.5) < 1e-9 and abs(r["recall"] - 2 / 3) < 1e-9
    assert event_f1([], []) ["f1"] == 1.0
    assert event_f1([0.1], [])["f1"] == 0.0


def test_pooled_f1_sums_counts():
    a = event_f1([0.5], [0.5])
    b = event_f1([1.0, 2.0], [3.0])
    pooled = pooled_f1([a, b])
    assert (pooled["hits"], pooled["detected"], pooled["true"]) == (1, 3, 2)
