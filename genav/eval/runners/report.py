"""Evaluation reports: JSON + CSV written atomically, library versions, markdown summary rows.

A report is a plain dict. Per-clip (AV-Align) or per-item (classifier metrics) rows live in
``report["clips"]`` or ``report["items"]``; the dataset value in ``report["mean"]`` (or any other
scalar keys). Undefined values are ``None`` (JSON ``null``), never NaN, so the JSON stays strict.
"""

from __future__ import annotations

import csv
import io
import json
import math
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from genav.media.atomic import atomic_write_text

__all__ = ["save_report", "versions", "summary_rows", "summary_columns", "report_rows", "to_jsonable"]

# Row keys shown first in tables and CSVs when present, in this order.
_LEADING = ("name", "score", "n_audio_peaks", "n_video_peaks", "fps", "frames", "error")


def to_jsonable(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays, Paths and NaN/inf into strict-JSON values (NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy scalar or array
        return to_jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-clip or per-item rows of a report (``clips`` wins over ``items``); [] when neither."""
    rows = report.get("clips")
    if rows is None:
        rows = report.get("items")
    return list(rows or [])


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for key in _LEADING:
        if any(key in row for row in rows):
            seen[key] = None
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return value


def _csv_text(report: dict[str, Any]) -> str:
    rows = to_jsonable(report_rows(report))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=_columns(rows), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buf.getvalue()


def save_report(
    report: dict[str, Any], *, json_path: Path | None = None, csv_path: Path | None = None
) -> None:
    """Write ``report`` as JSON and/or its rows as CSV, each atomically (temp file, then rename).

    Both texts are built before anything is written, so a report that cannot be serialised leaves
    no file behind. CSV rows come from ``report["clips"]`` or ``report["items"]``; list/dict cells
    are JSON-encoded, ``None`` is an empty cell.

    Args:
        report: a report dict of any evaluator (numpy values, Paths and NaN are converted; NaN ->
            null).
        json_path: where to write the JSON (None: no JSON). csv_path: where to write the CSV.

    Returns:
        None; an existing file at either path is replaced (callers check ``--overwrite`` first).

    Raises:
        MediaError: a folder that cannot be written to.

    Source: none (file format only).
    """
    json_text = json.dumps(to_jsonable(report), indent=2, allow_nan=False) + "\n" if json_path else None
    csv_text = _csv_text(report) if csv_path else None
    if json_path is not None and json_text is not None:
        atomic_write_text(Path(json_path), json_text)
    if csv_path is not None and csv_text is not None:
        atomic_write_text(Path(csv_path), csv_text)


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def versions() -> dict[str, str | None]:
    """Versions of everything that can change a metric's value; ``None`` for what is absent.

    torch is listed only when something already imported it (this function never pays for it).
    OpenCV's version is read from ``cv2`` itself (it decides the BT.601/BT.709 conversion).

    Args:
        None.

    Returns:
        ``{package: version or None}`` for genav, python, numpy, scipy, librosa, soxr, soundfile,
        av, opencv (and torch when imported).

    Raises:
        Nothing: an absent package is ``None``.

    Source: none (bookkeeping for reproducible reports).
    """
    from genav import __version__

    out: dict[str, str | None] = {
        "genav": __version__,
        "python": platform.python_version(),
        "numpy": _dist_version("numpy"),
        "scipy": _dist_version("scipy"),
        "librosa": _dist_version("librosa"),
        "soxr": _dist_version("soxr"),
        "soundfile": _dist_version("soundfile"),
        "av": _dist_version("av"),  # PyAV: frame timestamps (AV-Align peak times), audio decoding
    }
    try:
        import cv2

        out["opencv"] = str(cv2.__version__)
    except ImportError:
        out["opencv"] = None
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch"] = str(getattr(torch, "__version__", None))
    return out


def summary_columns(report: dict[str, Any]) -> list[str]:
    """Columns for :func:`summary_rows`: the row keys in a stable order (nested values left out)."""
    rows = to_jsonable(report_rows(report))
    return [c for c in _columns(rows) if not any(isinstance(r.get(c), (list, dict)) for r in rows)]


def summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for a markdown table (``cli.common.echo_table``): one per clip/item, then a mean row.

    Args:
        report: a report dict with ``clips`` or ``items`` rows (and optionally ``mean``).

    Returns:
        One dict per row: lists and dicts (peak times, probabilities) dropped, an undefined score
        shown as ``undefined`` and a failed one as ``failed``; the last row is ``{"name": "mean",
        "score": report["mean"]}`` when the report has a ``mean``.

    Raises:
        Nothing of its own: a report without rows gives only the mean row (or none).

    Source: none (presentation only).
    """
    columns = summary_columns(report)
    out: list[dict[str, Any]] = []
    for row in to_jsonable(report_rows(report)):
        shown = {c: row.get(c) for c in columns}
        if "score" in shown and shown["score"] is None:
            shown["score"] = "failed" if row.get("error") else "undefined"
        out.append(shown)
    if "mean" in report:
        mean = to_jsonable(report["mean"])
        out.append({"name": "mean", "score": mean if not isinstance(mean, (list, dict)) else None})
    return out
