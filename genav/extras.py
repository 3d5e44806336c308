"""Optional features and the pip extra that installs each.

``pip install "genav[plots]"`` (matplotlib: PNG plots), ``"genav[stable-audio]"`` (torchsde: the
scheduler of Stable Audio Open folders), ``"genav[xformers]"`` (xformers attention on CUDA).
The core (generation, evaluation numbers, the CLI) runs without them; asking for a feature whose
package is missing raises one :class:`MissingExtraError` line that names the extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from genav.errors import MissingExtraError

# extra -> the package it installs (the import name is the same for all three)
EXTRAS: dict[str, str] = {"plots": "matplotlib", "stable-audio": "torchsde", "xformers": "xformers"}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``: ``pip install "genav[extra]"``."""
    return f'pip install "genav[{extra}]"'


def require_extra(extra: str, purpose: str, module: str | None = None) -> ModuleType:
    """Import the package of optional feature ``extra`` (or its submodule ``module``) and return it.

    Args:
        extra: a key of :data:`EXTRAS` (``"plots"``, ``"stable-audio"``, ``"xformers"``).
        purpose: what needs it, for the message (e.g. ``"AV-Align plots"``).
        module: the module to import, default the extra's package.

    Raises:
        MissingExtraError: the package cannot be imported; one line naming ``pip install "genav[extra]"``.
    """
    name = module or EXTRAS[extra]
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs {EXTRAS[extra]}, which is not installed: {install_hint(extra)}"
        ) from exc
