"""The declared plugin API (core/api.py): the plugins in plugins/, the tutorial's plugin and what the
scaffold writes import nothing of the core but `core.api` (their tests also the test kit,
`core.testing`), and every name core.api exports is documented in docs/plugin-api.md."""

import ast
import re
from pathlib import Path

import pytest

from core import api, scaffold

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"core.api"}
ALLOWED_IN_TESTS = {"core.api", "core.testing"}


def core_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import of a `core` module, at any depth (function bodies too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "core":  # from core import clock: the module core.clock
                found += [(node.lineno, f"core.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return sorted((line, name) for line, name in found if name == "core" or name.startswith("core."))


def offending(path: Path, relative_to: Path) -> list[str]:
    in_tests = "tests" in path.relative_to(relative_to).parts
    allowed = ALLOWED_IN_TESTS if in_tests else ALLOWED
    return [
        f"{path.relative_to(relative_to)}:{line}: {name}"
        for line, name in core_imports(path.read_text(encoding="utf-8"))
        if name not in allowed
    ]


def scaffolded(tmp_path) -> Path:
    scaffold.create("sample", tmp_path)
    return tmp_path


def test_the_checker_sees_every_form_of_import():
    source = "import core.db\nfrom core import clock\ndef f():\n    from core.grids.index import locate\nfrom core.api import db\n"
    assert [name for _, name in core_imports(source)] == ["core.db", "core.clock", "core.grids.index", "core.api"]


@pytest.mark.parametrize("folder", ["plugins", "docs/tutorial"])
def test_plugins_and_the_tutorial_import_only_core_api(folder):
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files
    assert [bad for path in files for bad in offending(path, ROOT)] == []


def test_the_scaffold_writes_plugins_that_import_only_core_api(tmp_path):
    target = scaffolded(tmp_path)
    files = sorted(target.rglob("*.py"))
    assert len(files) >= 6
    assert [bad for path in files for bad in offending(path, target)] == []


def test_core_api_exports_what_it_declares():
    assert len(api.__all__) == len(set(api.__all__))
    assert [name for name in api.__all__ if not hasattr(api, name)] == []
    public = {name for name in vars(api) if not name.startswith("_")}
    assert public - set(api.__all__) == set(), "imported into core.api but not declared in __all__"


def test_every_name_of_core_api_is_documented():
    text = (ROOT / "docs/plugin-api.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,4} `([A-Za-z_][A-Za-z0-9_]*)", text, re.M)
    assert [name for name in api.__all__ if name not in headings] == [], "names missing from docs/plugin-api.md"
    assert [name for name in headings if name not in api.__all__] == [], "documented names core.api lacks"
    assert "plugin-api.md" in (ROOT / "docs/plugins.md").read_text(encoding="utf-8")
