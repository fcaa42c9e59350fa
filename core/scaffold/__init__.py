"""`flask plugins new NAME`: write a working campaign plugin skeleton from the templates in plugin/
(model, migration, form, list/detail/form pages, static file, job, category, permissions, menu item,
its own translation catalogue and a test using core.testing). File and folder names hold `__name__`
where the plugin's name goes; the contents are string.Template texts with $name, $title, $url, $NAME,
$class_code, $category_code."""

import importlib.util
import keyword
import re
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "plugin"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
CLASS_CODE = "99"  # the national catalogue leaves classes 90–99 to local use


class ScaffoldError(ValueError):
    pass


def check_name(name: str, target: Path, taken: set[str]) -> None:
    """Refuse a name that is not a lower-case Python identifier, or that something already uses."""
    if not NAME_RE.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r} is not a valid plugin name: use 2 to 20 lower-case letters, digits and underscores, "
            "starting with a letter (it becomes a Python package, a URL, table and permission names)."
        )
    if name in taken:
        raise ScaffoldError(f"{name!r} is already the name of a loaded plugin or blueprint.")
    if (target / name).exists():
        raise ScaffoldError(f"{target / name} already exists.")
    if importlib.util.find_spec(name) is not None:
        raise ScaffoldError(f"{name!r} is already the name of an importable Python module; choose another.")


def free_category_code(used: set[str]) -> str:
    for number in range(1, 100):
        code = f"{CLASS_CODE}{number:02d}"
        if code not in used:
            return code
    raise ScaffoldError(f"every category code of class {CLASS_CODE} is taken")


def create(name: str, target: Path, taken: set[str] = frozenset(), used_codes: set[str] = frozenset()) -> list[Path]:
    """Write plugin `name` into target/name; returns the files written."""
    target = Path(target)
    check_name(name, target, set(taken))
    values = {
        "name": name,
        "NAME": name.upper(),
        "title": name.replace("_", " ").capitalize(),
        "url": name.replace("_", "-"),
        "class_code": CLASS_CODE,
        "category_code": free_category_code(set(used_codes)),
    }
    written = []
    for source in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATES).with_suffix("")  # drop .tmpl
        path = target / name / Path(*(part.replace("__name__", name) for part in relative.parts))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(path)
    return written
