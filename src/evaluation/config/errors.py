"""Configuration errors in words: the key, the file and the closest valid key."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel


class ConfigError(ValueError):
    """A programme configuration that cannot be used; the message says where and what to do."""


def suggest(word: str, candidates: list[str] | tuple[str, ...], prefix: str = "") -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _as_model(arg)
            if found is not None:
                return found
    return None


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The section model found by following ``loc`` from ``root`` (None if not a model)."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None or part not in model.model_fields:
            return None
        model = _as_model(model.model_fields[part].annotation)
    return model


def describe_error(error: dict, root: type[BaseModel]) -> str:
    """One pydantic error as a sentence naming the dotted key (and a suggestion if misspelled)."""
    loc = tuple(p for p in error["loc"] if isinstance(p, str))
    dotted = ".".join(str(p) for p in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        valid = list(parent.model_fields) if parent is not None else []
        prefix = "".join(f"{p}." for p in loc[:-1])
        return (
            f"unknown key '{dotted}'{suggest(loc[-1], valid, prefix)}; valid keys here: "
            f"{', '.join(valid)}"
        )
    if error["type"] == "missing":
        return f"required key '{dotted}' is missing"
    message = error["msg"].removeprefix("Value error, ")
    if error["loc"]:
        return f"'{dotted}': {message} (got {error.get('input')!r})"
    return message
