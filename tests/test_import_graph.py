"""The layout rule, checked on the source (issue 18): a file in core/ is a building block, with no hooks and
no import of a feature; a folder of core/ is a feature; features do not import each other in a circle.
Imports inside functions count as much as those at the top: they are dependencies all the same.

The top floor may import features: it is where the whole is put together (the plugins' API, the demo
loader, the test kit). What still breaks the rule is listed in KNOWN, each entry with what moves it; the
test fails when an entry no longer breaks the rule too, so that the list only shrinks."""

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"
DATA_FOLDERS = {"migrations", "scaffold"}  # folders of core/ that are no feature: migrations, file templates
TOP_FLOOR = {
    "core.api": "the plugins' API re-exports what features offer",
    "core.builtin": "the core's own pages and hooks, put together",
    "core.demo": "loads every feature's demo data",
    "core.testing": "the test kit builds cities of every feature",
    "core.testcity": "the test kit's small city",
    "core.testdb": "the test kit's template databases reset every feature's caches",
}
KNOWN: dict[str, tuple[str, str]] = {
    # module: (what breaks the rule, what moves it)
}


def _unit(module: str) -> str:
    """core.workorders.views.lists → core.workorders (a feature); core.clock → core.clock."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _is_feature(unit: str) -> bool:
    name = unit.split(".")[1] if "." in unit else ""
    return (CORE / name).is_dir() and name not in DATA_FOLDERS


def _modules():
    for path in sorted(CORE.rglob("*.py")):
        parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
        if DATA_FOLDERS & set(parts):
            continue
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "core":
                found |= {f"core.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return {name for name in found if name.startswith("core.")}


def _decorator_name(decorator) -> str:
    """hookimpl for @hookimpl, @hookimpl(...) and @hookspecs.hookimpl."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return getattr(target, "id", None) or getattr(target, "attr", "")


def _has_hooks(tree) -> bool:
    return any(
        isinstance(node, ast.FunctionDef) and any(_decorator_name(d) == "hookimpl" for d in node.decorator_list)
        for node in ast.walk(tree)
    )


def _graph():
    edges: dict[str, set[str]] = {}
    hooks: set[str] = set()
    for module, tree in _modules():
        unit = _unit(module)
        edges.setdefault(unit, set()).update(_unit(name) for name in _imports(tree) if _unit(name) != unit)
        if _has_hooks(tree) and not _is_feature(unit):
            hooks.add(unit)
    return edges, hooks


def _breaking_the_rule():
    edges, hooks = _graph()
    broken = {}
    for unit, targets in edges.items():
        if _is_feature(unit) or unit in TOP_FLOOR:
            continue
        features = sorted(t for t in targets if _is_feature(t))
        if features:
            broken.setdefault(unit, []).append(f"imports {', '.join(features)}")
    for unit in hooks - set(TOP_FLOOR):
        broken.setdefault(unit, []).append("has hooks")
    return broken


def test_no_building_block_has_hooks_or_imports_a_feature_beyond_the_known_ones():
    broken = _breaking_the_rule()
    unexpected = {unit: why for unit, why in broken.items() if unit not in KNOWN}
    assert not unexpected, f"building blocks of core/ breaking the layout rule: {unexpected}"
    mended = sorted(set(KNOWN) - set(broken))
    assert not mended, f"these keep the rule now: take them out of KNOWN: {mended}"


def _circles(edges) -> list[str]:
    features = {unit for unit in edges if _is_feature(unit)}
    between = {unit: {t for t in edges[unit] if t in features} for unit in features}

    def circle_from(start):
        stack, seen = [(start, [start])], set()
        while stack:
            unit, path = stack.pop()
            for target in sorted(between.get(unit, ())):
                if target == start:
                    return path + [start]
                if target not in seen:
                    seen.add(target)
                    stack.append((target, path + [target]))
        return None

    return [" → ".join(found) for start in sorted(features) if (found := circle_from(start))]


def test_features_do_not_import_each_other_in_a_circle():
    circles = _circles(_graph()[0])
    assert not circles, "feature packages importing each other in a circle:\n" + "\n".join(circles)


def test_the_check_sees_a_circle_and_a_building_block_importing_a_feature(tmp_path, monkeypatch):
    """The check itself: a made-up core/ with a → b → a and a block importing a feature fails both ways."""
    fake = tmp_path / "core"
    for package, source in (("a", "from core.b import x\n"), ("b", "import core.a.models\n")):
        (fake / package).mkdir(parents=True)
        (fake / package / "__init__.py").write_text(source)
    (fake / "__init__.py").write_text("")
    (fake / "clockwork.py").write_text("def f():\n    from core.a import y\n")
    monkeypatch.setattr(sys.modules[__name__], "CORE", fake)
    assert _breaking_the_rule() == {"core.clockwork": ["imports core.a"]}
    assert _circles(_graph()[0]) == ["core.a → core.b → core.a", "core.b → core.a → core.b"]
