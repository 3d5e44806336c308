"""genav's benchmarks, in one place and imported only when run (``genav bench ...``, or by name).

Nothing is re-exported here and importing a benchmark module changes no global state (torch
threads, flop formulas). ``attention`` (time and peak memory per backend), ``media`` (streaming a
long clip), ``train`` (step time, the streamed data pipeline), ``av_align`` (AV-Align throughput
and memory), ``eval`` (``genav eval av-align`` against ``av_align_yardstick``, the published
script's computation), ``video`` (text/audio-to-video speed and memory, in a fresh process),
``kernels`` (an MM-DiT training step under each attention kernel; run on a GPU by
``scripts/cuda_check.py``). ``measure`` is the one harness they all measure with (own peak, children
upper bound, in-process peak, sampled process tree, CPU seconds).
Audio generation speed (``bench_sample``) needs the pipelines, so it is
:mod:`genav.pipelines.bench` (genav never imports pipelines).
"""
