"""`genav models list|info`."""

from __future__ import annotations

import typer

from genav.cli.common import echo_table, emit_json

models_app = typer.Typer(no_args_is_help=True, help="Known models: debug-*, embedded defaults, folders.")


@models_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json")) -> None:
    """List registered model names."""
    from genav.pipelines import list_models

    rows = [
        {"name": e.name, "family": e.family, "kind": "debug" if e.is_debug else "folder", "description": e.description}
        for e in list_models()
    ]
    if as_json:
        emit_json(rows)
    else:
        echo_table(rows, ["name", "family", "kind", "description"])


@models_app.command("info")
def info_command(name: str = typer.Argument(..., help="A model name or folder.")) -> None:
    """Show where a model comes from and its config."""
    import json

    from genav.pipelines import resolve_model

    entry = resolve_model(name)
    data = {"name": entry.name, "family": entry.family, "description": entry.description}
    if entry.path is not None:
        data["path"] = str(entry.path)
        config = entry.path / "config.json"
        if config.exists():
            data["config"] = json.loads(config.read_text())
    emit_json(data)


@models_app.command("export")
def export_command(
    src: str = typer.Argument(..., help="A model folder."),
    out: str = typer.Option(..., "--out", "-o", help="The new model folder."),
    dtype: str = typer.Option("float16", "--dtype", help="float16|bfloat16|float32: how the weights are stored."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUT."),
) -> None:
    """Copy a model folder with its weights stored at another precision (fp16 halves the file; the
    model computes in its own dtype after loading). The training state (train/) is left out."""
    from genav.checkpoint import export_model_folder

    path = export_model_folder(src, out, dtype=dtype, overwrite=overwrite)
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
