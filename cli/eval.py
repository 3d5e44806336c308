"""`genav eval ...`: AV-Align (eval_av_align.py), the classifier metrics (eval_audio.py) and the
weight-free sync measure (eval_sync.py), and the generator checks t2a / v2a / distractors (eval_gen.py)."""

from __future__ import annotations

import typer

from genav.cli import eval_a2v, eval_audio, eval_av_align, eval_gen, eval_sync, eval_t2v

app = typer.Typer(no_args_is_help=True)
eval_av_align.register(app)
eval_audio.register(app)
eval_t2v.register(app)
eval_a2v.register(app)
eval_sync.register(app)
eval_gen.register(app)
