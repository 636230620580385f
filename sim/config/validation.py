"""Validation of a plain configuration against the schema, with errors worded for people.

Each error names the field's full path, the bad value and what is allowed (bounds, options,
the keys valid at that place, the closest one to a misspelt key).
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from typing import TYPE_CHECKING, Annotated, Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

if TYPE_CHECKING:
    pass

from sim.config.schema import ConfigError, SimConfig


def _format_location(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            path += " (key)"
        else:
            path += ("." if path else "") + str(part)
    return path


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` and ``X | None`` from a type; return it with its constraints."""
    constraints: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                constraints += item.metadata if isinstance(item, FieldInfo) else [item]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation, constraints
            annotation = options[0]
        else:
            return annotation, constraints


def _model_field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _schema_at(location: tuple[Any, ...]) -> tuple[Any, list[Any]] | None:
    """The type (and its constraints) the configuration schema expects at ``location``."""
    annotation: Any = SimConfig
    constraints: list[Any] = []
    for part in location:
        annotation, more = _unwrap(annotation)
        constraints = more
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = _model_field(annotation, str(part))
            if info is None:
                return None
            annotation, constraints = info.annotation, list(info.metadata)
        elif origin in (list, tuple) and isinstance(part, int):
            annotation = args[0] if origin is list or args[-1] is Ellipsis else args[part]
            constraints = []
        elif origin is dict:
            annotation, constraints = (args[0] if part == "[key]" else args[1]), []
        else:
            return None
    annotation, more = _unwrap(annotation)
    return annotation, constraints + more


def _bounds(constraints: list[Any]) -> str:
    low = high = ""
    for item in constraints:
        if isinstance(item, annotated_types.Ge):
            low = f">= {item.ge:g}"
        elif isinstance(item, annotated_types.Gt):
            low = f"> {item.gt:g}"
        elif isinstance(item, annotated_types.Le):
            high = f"<= {item.le:g}"
        elif isinstance(item, annotated_types.Lt):
            high = f"< {item.lt:g}"
    if low.startswith(">=") and high.startswith("<="):
        return f" from {low[3:]} to {high[3:]}"
    return " " + " and ".join(b for b in (low, high) if b) if low or high else ""


def describe_allowed(location: tuple[Any, ...]) -> str | None:
    """What the schema allows at a location, in words (``None`` if it cannot say).

    Example:
        ``describe_allowed(("scenario", "vouchers", "subsidy_rate"))`` is
        ``"a number from 0 to 1"``.
    """
    found = _schema_at(location)
    if found is None:
        return None
    annotation, constraints = found
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "a whole number" + _bounds(constraints)
    if annotation is float:
        return "a number" + _bounds(constraints)
    if annotation is str:
        return "text"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a mapping with the keys " + ", ".join(_model_keys(annotation))
    if origin in (list, tuple):
        return "a list"
    if origin is dict:
        return "a mapping"
    return None


def valid_keys(location: tuple[Any, ...]) -> list[str] | None:
    """The keys allowed inside the mapping at ``location`` (``None``: any key, or unknown)."""
    found = _schema_at(location)
    if found is None:
        return None
    annotation, _ = found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_keys(annotation)
    if typing.get_origin(annotation) is dict:
        key = typing.get_args(annotation)[0]
        if typing.get_origin(key) is typing.Literal:
            return [str(a) for a in typing.get_args(key)]
    return None


def unknown_key_message(location: tuple[Any, ...]) -> str:
    """Explain an unknown key: the closest valid keys and all keys allowed there."""
    keys = valid_keys(location[:-1]) or []
    message = "unknown key (not part of the configuration; check its spelling)"
    close = difflib.get_close_matches(str(location[-1]), keys, n=3, cutoff=0.6)
    if close:
        message += "; did you mean " + " or ".join(repr(k) for k in close) + "?"
    if keys:
        message += " Allowed keys here: " + ", ".join(keys)
    return message


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return ""
    if isinstance(value, float) and math.isnan(value):
        return " (got nan)"
    text = repr(value)
    return f" (got {text if len(text) <= 80 else text[:77] + '...'})"


def format_validation_error(error: ValidationError) -> str:
    """One line per problem: ``full.path: message (got value); allowed: ...``."""
    lines = []
    for problem in error.errors():
        location = tuple(problem["loc"])
        path = _format_location(location) or "(top level)"
        kind = problem["type"]
        message = problem["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            lines.append(f"{path}: {unknown_key_message(location)}{_shown(problem.get('input'))}")
            continue
        if kind == "missing":
            message = "required value is missing (Field required)"
        own_words = kind == "value_error" and "allowed:" in message
        shown = "" if kind == "missing" or own_words else _shown(problem.get("input"))
        allowed = describe_allowed(location)
        already_said = (
            kind == "literal_error"
            or "allowed:" in message
            or (kind == "value_error" and (allowed or "").startswith(("a mapping", "a list")))
        )
        suffix = f"; allowed: {allowed}" if allowed and not already_said else ""
        lines.append(f"{path}: {message}{shown}{suffix}")
    return "\n".join(lines)


def validate_config(data: dict[str, Any]) -> SimConfig:
    """Validate plain configuration data (from Hydra or a dict).

    Raises:
        ConfigError: With one line per problem naming the field's full path.
    """
    try:
        return SimConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None
