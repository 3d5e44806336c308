"""Frozen-dataclass configs with a strict JSON round trip.

A config is a ``@dataclass(frozen=True)`` subclass of :class:`Config`. ``to_dict``/``from_dict``
round-trip exactly; unknown or missing keys and wrong types are errors (no silent defaults for
typos), and the ``model_type`` and ``version`` fields guard against loading a config into the
wrong class.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
import warnings
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from genav.errors import ConfigError

C = TypeVar("C", bound="Config")


@dataclasses.dataclass(frozen=True)
class Config:
    """Base for all configs. Subclasses set ``model_type`` (a ClassVar) and may bump ``VERSION``."""

    model_type: ClassVar[str] = "config"
    VERSION: ClassVar[int] = 1
    # old key -> new key: files with the old name still load, with a DeprecationWarning
    RENAMED: ClassVar[dict[str, str]] = {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model_type": self.model_type, "version": self.VERSION}
        for f in dataclasses.fields(self):
            out[f.name] = _to_json_value(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        data = dict(data)
        model_type = data.pop("model_type", cls.model_type)
        version = data.pop("version", cls.VERSION)
        if model_type != cls.model_type:
            raise ConfigError(f"config is for model_type {model_type!r}, expected {cls.model_type!r}")
        if version != cls.VERSION:
            raise ConfigError(f"{cls.__name__} version {version} is not supported (expected {cls.VERSION})")
        data = renamed_settings(data, cls.RENAMED, cls.__name__)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"{cls.__name__}: unknown config keys {unknown}")
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                kwargs[f.name] = _from_json_value(data[f.name], hints[f.name], f"{cls.__name__}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{cls.__name__}: missing config key {f.name!r}")
        return cls(**kwargs)

    @classmethod
    def derived_fields(cls, values: dict[str, Any]) -> dict[str, tuple[Any, str]]:
        """Fields whose value follows from other fields (``values``: the config's fields by name):
        name -> (the derived value, or None where only a loaded model can tell; what it derives
        from). None by default; subclasses call :meth:`settle_derived` in ``__post_init__``."""
        return {}

    def settle_derived(self) -> None:
        """Fill each derived field left None with its derived value, or check a given one against
        it (old files store them), so there is one source.

        Raises:
            ConfigError: a given value differs from the derived one, or one that no field decides
                is missing.
        """
        name = type(self).__name__
        for key, (derived, source) in self.derived_fields(self._values()).items():
            given = getattr(self, key)
            if derived is None:
                if given is None:
                    raise ConfigError(f"{name}: give {key} ({source} decides it only once loaded)")
                continue
            if given is not None and not _same(given, derived):
                raise ConfigError(
                    f"{name}: {key} is {given} but {source} gives {derived} (leave it out: it derives)"
                )
            object.__setattr__(self, key, derived)

    def replace(self: C, **changes: Any) -> C:
        """A copy with ``changes``; derived fields not named follow the changed fields."""
        values = {**self._values(), **changes}
        for key, (derived, _) in self.derived_fields(values).items():
            if key not in changes and derived is not None:
                values[key] = derived
        return dataclasses.replace(self, **values)

    def _values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def save(self, path: str | Path) -> None:
        from genav.atomic import atomic_write_text

        atomic_write_text(Path(path), self.to_json())

    @classmethod
    def load(cls: type[C], path: str | Path) -> C:
        return cls.from_dict(read_json_object(Path(path)))


def read_json_object(path: Path, what: str = "config") -> dict[str, Any]:
    """The JSON object in ``path``; ConfigError (naming ``what``) when the file is missing, not
    JSON, or not an object."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a {what} must be a JSON object")
    return data


def _same(given: Any, derived: Any) -> bool:
    if isinstance(derived, float):
        return isinstance(given, (int, float)) and abs(given - derived) <= 1e-9 * max(1.0, abs(derived))
    return given == derived


def _to_json_value(value: Any) -> Any:
    if isinstance(value, Config):
        return value.to_dict()
    if isinstance(value, (tuple, list)):
        return [_to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json_value(v) for k, v in value.items()}
    return value


def _from_json_value(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _from_json_value(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"{where}: {value!r} does not match {hint}")
    if isinstance(hint, type) and issubclass(hint, Config):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected an object")
        return hint.from_dict(value)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json_value(v, args[0], where) for v in value)
        if len(args) != len(value):
            raise ConfigError(f"{where}: expected {len(args)} items, got {len(value)}")
        return tuple(_from_json_value(v, a, where) for v, a in zip(value, args, strict=True))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected an object")
        return {k: _from_json_value(v, args[1], where) for k, v in value.items()} if args else value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint in (int, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")
        return value
    return value


T = TypeVar("T")


class _Default:
    """A keyword's default value, marked so that :func:`renamed_kwargs` can tell it from a passed one."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:  # signatures and help() show the plain default
        return repr(self.value)


def keyword_default(value: T) -> T:
    """Mark ``value`` as the default of a renamed keyword (``num_steps: int = keyword_default(25)``)
    so that :func:`renamed_kwargs` knows whether the caller passed the new name; the function gets
    the plain value back from :func:`renamed_kwargs` (it must not use the parameter before)."""
    return typing.cast(T, _Default(value))


def renamed_kwargs(
    deprecated: dict[str, Any], renamed: dict[str, str], where: str, **current: Any
) -> dict[str, Any]:
    """``current`` keyword values with the ``deprecated`` ones (old names of ``renamed``) applied
    under their new names, warning once per use (DeprecationWarning); for functions that take
    ``**deprecated`` after a rename.

    A function marks the defaults of its new-name keywords with :func:`keyword_default`; a marked
    value counts as not passed, any other as passed by the caller, and an old name given together
    with a passed new name is an error. A function whose defaults are not marked yet cannot tell its
    default from a passed value: there the old name overrides the current value (as before).

    Raises:
        TypeError: a keyword that is not an old name of ``renamed`` (as Python would).
        ConfigError: an old name given together with its new name (passed, or in ``deprecated``).
    """
    unknown = sorted(set(deprecated) - set(renamed))
    if unknown:
        raise TypeError(f"{where}() got unexpected keyword arguments {unknown}")
    defaults = {k: v.value for k, v in current.items() if isinstance(v, _Default)}
    if not defaults:  # unmarked: the current values may be defaults, which an old name overrides
        return {**current, **renamed_settings(deprecated, renamed, where)}
    passed = {k: v for k, v in current.items() if k not in defaults}
    return {**defaults, **renamed_settings({**passed, **deprecated}, renamed, where)}


def renamed_settings(given: dict[str, Any], renamed: dict[str, str], where: str) -> dict[str, Any]:
    """``given`` with each old setting name of ``renamed`` (old -> new) replaced by its new name,
    warning once per use (DeprecationWarning): one name per setting across API, CLI, recipes and
    sidecars, while old files and calls keep working for a release.

    Raises:
        ConfigError: both the old and the new name are given.
    """
    out = dict(given)
    for old, new in renamed.items():
        if old not in out:
            continue
        if new in out:
            raise ConfigError(f"{where}: give {new!r} only ({old!r} is its deprecated name)")
        warnings.warn(f"{where}: {old!r} is deprecated, use {new!r}", DeprecationWarning, stacklevel=3)
        out[new] = out.pop(old)
    return out
