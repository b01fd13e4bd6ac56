"""The package layout of decision 0501 holds: imports point down the layers, modules stay
small, and no private helper is imported from another module."""

import ast

import pytest
from paths import REPO

SRC = REPO / "src" / "evaluation"
# Lower numbers are lower layers; a module may import its own layer or any lower one.
LAYER = {"data": 1, "frames": 1, "hashing": 1, "atomic": 1, "config": 2, "cohort": 2, "synth": 2, "outcomes": 2,
         "design": 3, "estimators": 3, "analysis": 4, "reporting": 5, "pipeline": 6, "cli": 7,
         "__main__": 7, "__init__": 0}
MAX_LINES = 375  # "about 350": a module past this holds more than one concept
MODULES = sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _top(path):
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _imports(path):
    """(module imported, names imported) for every import in the file, nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(("evaluation", *path.relative_to(SRC).with_suffix("").parts[:-1]))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def test_every_top_level_module_has_a_layer():
    assert {_top(p) for p in MODULES} <= set(LAYER), "add the new package to LAYER and 0501"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path):
    here = LAYER[_top(path)]
    for module, _ in _imports(path):
        parts = module.split(".")
        if parts[0] != "evaluation" or len(parts) < 2:
            continue
        assert LAYER[parts[1]] <= here, f"{path.relative_to(SRC)} imports {module} (a higher layer)"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_name_imported_from_another_module(path):
    for module, names in _imports(path):
        if module.startswith("evaluation"):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{path.relative_to(SRC)} imports {private} from {module}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_modules_stay_small(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(SRC)} has {n} lines (limit {MAX_LINES})"
