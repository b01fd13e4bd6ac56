"""Reading programme YAML files: where they live, duplicate keys refused, name = file name."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from evaluation.config.errors import ConfigError, suggest
from evaluation.config.models import ProgrammeConfig, validate_config

CONFIG_DIR_ENV = "EVALUATION_CONFIG_DIR"


class UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that rejects a key given twice (PyYAML would silently keep the last)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def config_dir() -> Path:
    """Directory of the programme YAML files (``$EVALUATION_CONFIG_DIR`` or the repo's)."""
    env = os.environ.get(CONFIG_DIR_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "config" / "programmes"


def list_programmes() -> list[str]:
    """Names of the programme configurations available (YAML file stems), sorted."""
    return sorted(p.stem for p in config_dir().glob("*.yaml"))


def load_programme_config(path_or_name: str | Path) -> ProgrammeConfig:
    """Read and validate a programme YAML file, given a path or a name such as ``"iom"``."""
    path = Path(path_or_name)
    if path.suffix not in (".yaml", ".yml") and not path.exists():
        names = list_programmes()
        path = config_dir() / f"{path_or_name}.yaml"
        if not path.exists():
            raise ConfigError(
                f"no programme configuration named '{path_or_name}' in {config_dir()}"
                f"{suggest(str(path_or_name), names)}; available: {', '.join(names) or 'none'}"
            )
    if not path.exists():
        raise ConfigError(f"{path}: no such configuration file")
    try:
        raw = yaml.load(path.read_text(), Loader=UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    config = validate_config(raw, str(path))
    if config.name != path.stem:
        raise ConfigError(
            f"{path}: name '{config.name}' differs from the file name '{path.stem}'; "
            "make them the same so outputs can be traced to their configuration"
        )
    config._source = path
    return config
