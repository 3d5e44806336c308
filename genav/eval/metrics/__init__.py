"""Metric math, pure: arrays in, numbers out (no files, no models, no plotting).

One short file per metric: AV-Align's matching and score (``av_align``), KL divergence (``kld``),
Fréchet distance (``frechet``), Inception Score (``inception``), motion/sound lag (``lag``),
peak finding (``peaks``), tagger accuracy and label-wise KLD (``label_scores``), event F1 against
known event times (``event_f1``) and codec round-trip spectral distances (``spectral``).
"""
