"""One error family with messages written for users.

Every error genav raises on purpose is a :class:`GenavError`; the CLI prints it as one line
(``genav: error: ...``) and shows a traceback only with ``GENAV_DEBUG=1``.
"""

from __future__ import annotations


class GenavError(Exception):
    """Base class: the message is complete and meant for the user; ``hint`` says what to do."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} (hint: {self.hint})" if self.hint else base


class MediaError(GenavError):
    """A media file is missing, empty, unreadable, or lacks the stream that was asked for."""


class OutputExistsError(GenavError):
    """An output path exists and overwriting was not asked for."""

    def __init__(self, path: object) -> None:
        super().__init__(f"output exists: {path}", hint="pass --overwrite (overwrite=True in Python) to replace it")


class OutputBusyError(GenavError):
    """Another live process is writing to the output (a training run in the same run folder)."""


class BackendUnavailableError(GenavError):
    """An explicitly requested backend (attention, device, codec) cannot run here."""


class CheckpointError(GenavError):
    """A checkpoint is missing, malformed, or does not match its config."""


class ConfigError(GenavError):
    """A config file or value is invalid (unknown keys, wrong types, bad version)."""


class UnknownModelError(GenavError):
    """A model name is neither registered nor a folder."""


class DataError(GenavError):
    """A dataset or manifest is invalid; the message names the row when there is one."""


class InputError(GenavError):
    """An argument is out of range (empty prompt, duration of 0 or above the maximum, ...)."""


class MissingExtraError(GenavError):
    """An optional feature's package is not installed; the message names the extra to install."""
