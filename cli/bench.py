"""`genav bench ...`: each benchmark lives in its own module and registers here."""

from __future__ import annotations

import typer

from genav.cli import (
    bench_attention,
    bench_eval,
    bench_media,
    bench_sample,
    bench_startup,
    bench_sync,
    bench_t2v,
    bench_train_data,
)

app = typer.Typer(no_args_is_help=True)
bench_attention.register(app)
bench_sample.register(app)
bench_media.register(app)
bench_sync.register(app)
bench_t2v.register(app)
bench_eval.register(app)
bench_train_data.register(app)
bench_startup.register(app)
