"""Atomic outputs live in :mod:`genav.atomic` (the base layer); re-exported here for media code."""

from genav.atomic import atomic_output, atomic_write_bytes, atomic_write_text, check_output_path

__all__ = ["atomic_output", "atomic_write_bytes", "atomic_write_text", "check_output_path"]
