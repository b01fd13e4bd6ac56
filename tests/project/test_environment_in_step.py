"""pyproject.toml, environment.yml and .pre-commit-config.yaml pin the same versions."""

from __future__ import annotations

import re
import tomllib

import yaml
from paths import REPO

ROOT = REPO
CONDA_NAMES = {"pre_commit": "pre-commit"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", CONDA_NAMES.get(name, name)).lower()


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = {}
    for spec in specs:
        name, sep, version = spec.partition("==")
        assert sep, f"pyproject.toml: '{spec}' is not pinned exactly (use ==)"
        pins[_norm(name)] = version
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if not isinstance(dep, str) or dep in ("pip",) or dep.startswith("python="):
            continue
        name, sep, version = dep.partition("=")
        assert sep, f"environment.yml: '{dep}' is not pinned"
        pins[_norm(name)] = version
    return pins


def test_environment_yml_pins_the_same_versions_as_pyproject():
    assert _conda_pins() == _pyproject_pins()


def test_environment_yml_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_pre_commit_revs_match_pins():
    pins = _pyproject_pins()
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    revs = {repo["repo"].rsplit("/", 1)[-1]: repo["rev"].lstrip("v") for repo in config["repos"]}
    assert revs["ruff-pre-commit"] == pins["ruff"]
    assert revs["nbstripout"] == pins["nbstripout"]
    nbstripout = next(r for r in config["repos"] if r["repo"].endswith("nbstripout"))
    assert "cell.metadata.tags" in nbstripout["hooks"][0]["args"], "keep the parameters tag"


def test_python_version_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    assert project["requires-python"].startswith(">=3.11")
