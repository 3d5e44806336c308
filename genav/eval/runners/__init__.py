"""Evaluations over folders and datasets: reading inputs, a process pool, reports.

AV-Align and the sync measure over a dataset (``av_align_dataset``, ``sync_dataset``), the
classifier metrics over folders (``audio_metrics``, with ``audio_prep`` and the published KLD
recipes in ``kld_variants``), the av-benchmark metric set (``av_benchmark``), codec round trips
(``codec_eval``), the ordered process pool (``pool``) and JSON/CSV reports (``report``).
"""
