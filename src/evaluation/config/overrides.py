"""Command-line overrides: ``outcomes.window_days=182`` parsed and set on the raw mapping."""

from __future__ import annotations

from typing import Any

import yaml

from evaluation.config.errors import ConfigError


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``["outcomes.window_days=182"]`` -> ``{"outcomes.window_days": "182"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' is not of the form section.key=value")
        out[key.strip()] = value.strip()
    return out


def yaml_scalar(key: str, text: str) -> Any:
    """An override's value read as YAML (``"[91, 182]"`` -> a list); empty text is None."""
    try:
        return yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {key}={text!r}: value is not valid YAML: {exc}") from exc


def set_dotted(raw: dict, key: str, value: Any) -> None:
    """Set ``raw["a"]["b"] = value`` for ``key="a.b"``, creating sections not given."""
    parts = key.split(".")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict):
            raise ConfigError(f"override '{key}': '{'.'.join(parts[:i])}' is not a section")
        child = node.get(part)
        if child is None:  # a section not given, or an optional one left empty
            child = node[part] = {}
        node = child
    if not isinstance(node, dict):
        raise ConfigError(f"override '{key}': '{'.'.join(parts[:-1])}' is not a section")
    node[parts[-1]] = value
