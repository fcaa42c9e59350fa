"""What a deduction can be about: the objects of a level (areas, departments, people) as the tables list
them, found by name or code for the deduction form's picker. The form posts the object's key; without
JavaScript the name typed is resolved here, and a name two objects share is refused with both listed."""

from flask_babel import gettext as _

from core import clock
from core.evaluation import snapshots
from core.parsing import parse_id

PICKER_LIMIT = 20


def _objects(level: str) -> dict[str, str]:
    return snapshots.objects(level, clock.now())


def search(level: str, text: str, limit: int = PICKER_LIMIT) -> list[tuple[str, str]]:
    """(key, name) of the level's objects whose name contains `text` or whose key starts with it; exact
    names and keys first, then by name."""
    text = (text or "").strip()
    found = [(k, n) for k, n in _objects(level).items() if not text or text in n or k.startswith(text)]
    found.sort(key=lambda kn: (text not in (kn[0], kn[1]), kn[1], kn[0]))
    return found[:limit]


def resolve(level: str, key: str, text: str) -> tuple[str | None, str, str | None]:
    """(key, name, None) of the object chosen by its key or, without one, by its exact name or key typed;
    (None, "", why) when there is none or several."""
    known = _objects(level)
    key, text = (key or "").strip(), (text or "").strip()
    if key:
        if key in known:
            return key, known[key], None
        if key not in (named := snapshots.names(level, [key] if _valid_key(level, key) else [])):
            return None, "", _("There is no such object at this level.")
        return key, named[key], None
    if not text:
        return None, "", _("Choose the object of the deduction.")
    if text in known:
        return text, known[text], None
    named = [k for k, n in known.items() if n == text]
    if len(named) == 1:
        return named[0], text, None
    if named:
        return None, "", _("Several objects are named %(name)s: choose one from the list.", name=text)
    return None, "", _("There is no such object at this level.")


def _valid_key(level, key):
    return parse_id(key) is not None if level not in snapshots.AREA_LEVELS_AND_CITY else bool(key)
