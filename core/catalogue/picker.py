"""Which category a form picked. A component and an event may share a code ("0410" is both 喷泉 and
非机动车乱停放 in the 2013 edition), so a category is never found by its code alone: the picker
(templates/_category_picker.html) posts the chosen category's id in `category_id`, and the text typed in
`category` ("0410 非机动车乱停放") is read, code and name, only where no id came with it (no JavaScript)
or where the text no longer names the category of that id."""

import unicodedata

from flask_babel import gettext as _

from core.catalogue.models import Category
from core.parsing import parse_id


def _plain(text: str) -> str:
    """Text as typed on any keyboard: full-width forms folded (NFKC), runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def label(category: Category) -> str:
    """The text a picker shows and accepts for a category: its code and name."""
    return f"{category.code} {category.name}"


def choices(edition: str) -> list[Category]:
    """The categories a case may have: the edition's, in use, events and components of one code side by side."""
    return list(
        Category.select()
        .where((Category.edition == edition) & (Category.active == True))  # noqa: E712
        .order_by(Category.code, Category.kind)
    )


def chosen(form, edition: str) -> tuple[Category | None, str | None]:
    """The category a form picked (category_id, else the text in category), and why none could be found.
    (None, None) when nothing was chosen."""
    text = _plain(form.get("category", "") or "")
    category_id = parse_id((form.get("category_id", "") or "").strip())
    in_use = Category.select().where((Category.edition == edition) & (Category.active == True))  # noqa: E712
    if category_id is not None:
        found = in_use.where(Category.id == category_id).first()
        if found is not None and (not text or text in (_plain(label(found)), found.code)):
            return found, None
        if not text:
            return None, _("This category is not in use: choose one from the list.")
    if not text:
        return None, None
    code, _space, name = text.partition(" ")
    matches = list(in_use.where(Category.code == code))
    if name:
        matches = [c for c in matches if _plain(c.name) == name]
    if len(matches) == 1:
        return matches[0], None
    if matches:
        return None, _("%(code)s is the code of both a component and an event: choose one from the list.", code=code)
    return None, _("Unknown category %(code)s: choose one from the list.", code=text[:40])
