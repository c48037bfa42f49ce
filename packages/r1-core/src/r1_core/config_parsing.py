"""Configuration: YAML file + CLI overrides, validated by a pydantic model, one-line errors."""

from __future__ import annotations

import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from r1_core.errors import ConfigError

__all__ = ["convert_by_type", "is_list_type", "load_config", "parse_cli_overrides", "parse_key_values",
           "parse_mapping", "parse_value", "r1_error_in", "raise_config_error", "read_yaml", "split_list",
           "validation_message"]

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist", "check the path given to --config")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}" if mark else str(p)
        raise ConfigError(f"invalid YAML in {where}: {getattr(exc, 'problem', exc)}",
                          "fix the syntax") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must hold a mapping of option: value", "see recipes/ for examples")
    return data


def parse_value(text: str) -> Any:
    """A value typed on the command line, the one grammar of every ``KEY=VALUE`` flag: JSON where
    it parses (``4``, ``true``, ``"x"``, ``[1, 2]``); a YAML flow collection (``{max_calls: 4}``,
    ``[a, b]``); otherwise the text itself (``x`` stays ``"x"``)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    if text.strip()[:1] in ("{", "["):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            pass
    return text


def parse_mapping(value: Any) -> Any:
    """A mapping option given as text (``'{"max_calls": 4}'``, ``{max_calls: 4}``; empty: ``{}``);
    a non-string value is returned as is for the validator to judge."""
    if not isinstance(value, str):
        return value
    parsed = parse_value(value) if value.strip() else {}
    if not isinstance(parsed, dict):
        raise ValueError("must be a mapping such as '{\"max_calls\": 4}'")
    return parsed


def parse_key_values(pairs: list[str], flag: str = "--option") -> dict[str, Any]:
    """``["workers=4", "name=x", "flags=[1, 2]"]`` → ``{"workers": 4, "name": "x", "flags": [1, 2]}``
    (repeatable ``--option KEY=VALUE``; values as :func:`parse_value` reads them)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} {pair!r} is not KEY=VALUE", f"e.g. {flag} workers=4")
        options[key.strip()] = parse_value(raw)
    return options


def parse_cli_overrides(args: list[str]) -> dict[str, Any]:
    """``--max-steps 5 --reward a --reward b --no-bf16 --lr=1e-4`` → a dict of field names.

    Repeated flags become lists; ``--flag`` alone is ``True``; ``--no-flag`` is ``False``.
    """
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or arg == "--":
            raise ConfigError(f"unexpected argument {arg!r}", "options look like --name value")
        key, eq, value = arg[2:].partition("=")
        key = key.replace("-", "_")
        if not eq:
            if i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
                i += 1
            elif key.startswith("no_"):
                key, value = key[3:], False  # type: ignore[assignment]
            else:
                value = True  # type: ignore[assignment]
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
        i += 1
    return out


def is_list_type(annotation: Any) -> bool:
    """True for ``list[...]``, ``tuple[...]``, ``set[...]`` and unions holding one
    (``list[str] | None``), not for containers nested inside another type (``dict[str, list[str]]``)."""
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(is_list_type(a) for a in typing.get_args(annotation))
    return False


def split_list(text: str) -> list[str]:
    """``"a, b,,c"`` → ``["a", "b", "c"]``: how a list field reads one command-line string."""
    return [item.strip() for item in text.split(",") if item.strip()]


_TRUE = {"true", "yes", "1", "on", "y"}
_FALSE = {"false", "no", "0", "off", "n"}
_NONE = {"none", "null", "~"}


def _members(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    return [annotation]


def _accepts_str(annotation: Any) -> bool:
    import enum

    for member in _members(annotation):
        origin = typing.get_origin(member)
        if member is str or member is Any or origin is typing.Literal:
            return True
        if isinstance(member, type) and issubclass(member, enum.Enum | str):
            return True
    return False


def _convert_scalar(text: str, kind: Any) -> Any:
    """``text`` as ``kind`` (bool, int, float, dict, list), or raise ValueError."""
    low = text.strip().lower()
    if kind is bool:
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(text)
    if kind is int:
        number = float(text)
        if number != int(number):
            raise ValueError(text)
        return int(number)
    if kind is float:
        return float(text)
    if kind in (dict, list) or typing.get_origin(kind) in (dict, list, tuple):
        loaded = json.loads(text) if text.strip()[:1] in "{[" else None
        if loaded is None:
            raise ValueError(text)
        return loaded
    raise ValueError(text)


def convert_by_type(value: Any, annotation: Any) -> Any:
    """Convert a string ``value`` to the field type ``annotation`` declares, never by guessing.

    A field that accepts strings keeps strings as they are (``eval_strategy: 'no'`` stays ``"no"``);
    ``"none"``/``"null"`` is ``None`` for an optional field; bool, int, float, list and dict fields
    parse the text (``"1e-3"`` → 0.001 for a float field; ``"a,b"`` → ``["a", "b"]`` for a list).
    A value that does not convert is returned unchanged for the validator to reject by name.
    """
    if annotation is None:
        return value
    if isinstance(value, list):
        item = next((typing.get_args(m)[0] for m in _members(annotation)
                     if typing.get_origin(m) in (list, tuple) and typing.get_args(m)), None)
        return [convert_by_type(v, item) for v in value] if item is not None else value
    if not isinstance(value, str):
        return value
    members = _members(annotation)
    if _accepts_str(annotation):
        return value
    if type(None) in members and value.strip().lower() in _NONE:
        return None
    for member in members:
        if member is type(None):
            continue
        origin = typing.get_origin(member)
        if origin in (list, tuple):
            try:
                return _convert_scalar(value, list)
            except ValueError:
                args = typing.get_args(member)
                return [convert_by_type(v.strip(), args[0] if args else None)
                        for v in value.split(",") if v.strip()]
        try:
            return _convert_scalar(value, member)
        except (ValueError, TypeError, json.JSONDecodeError):
            continue
    return value


def r1_error_in(exc: ValidationError) -> Exception | None:
    """The r1 error a validator raised, if pydantic wrapped one (it wraps every ValueError)."""
    from r1_core.errors import R1Error

    for err in exc.errors():
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, R1Error):
            return inner
    return None


def raise_config_error(exc: ValidationError, model: type[BaseModel], source: str,
                       hint: str = "run with --help to see the options") -> typing.NoReturn:
    """Re-raise a pydantic error as one :class:`ConfigError` line; an r1 error raised inside a
    validator (pydantic wraps ValueErrors, and ConfigError is one) comes out as itself."""
    inner = r1_error_in(exc)
    if inner is not None:
        raise inner from None
    raise ConfigError(validation_message(exc, model, source), hint) from None


def validation_message(exc: ValidationError, model: type[BaseModel], source: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err["loc"]) or "<root>"
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][0]), list(model.model_fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown option {loc!r} in {source}{hint}"
    value = err.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict | list) or len(str(value)) < 60 else ""
    return f"invalid value for {loc!r} in {source}: {err['msg']}{shown}"


def load_config(
    model: type[M],
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> M:
    """Build ``model`` from a YAML file and CLI overrides (overrides win)."""
    data: dict[str, Any] = read_yaml(path) if path else {}
    source = str(path) if path else "the command line"
    for key, value in (overrides or {}).items():
        field = model.model_fields.get(key)
        if field is not None and is_list_type(field.annotation) and isinstance(value, str):
            value = split_list(value)
        data[key] = value
        if overrides and key in overrides and path:
            source = f"{path} / the command line"
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise_config_error(exc, model, source)
