"""The admin pages of the background imports (catalogue, unit grids, component census) share one shape: an
upload form above the recent imports, and the progress page the form leads to. A kind of import describes
itself once in an `ImportKind`, returned by its owner's `register_imports()` hook; its two views call
`upload_page(name)` and `status_page(name, import_id)`, which answer 404 for a kind no enabled plugin
registered."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN

from core import background, plugins
from core.importing import decoding
from core.importing.decoding import ImportRefused
from core.org import User
from core.web import message, page


@dataclass(frozen=True)
class ImportKind:
    """One kind of import. `name` is its blueprint (`<name>.import_status`) and its template folder
    (`import.html`, `import_status.html`, `_import_progress.html`). `importer` is the module that imports,
    loaded on first use (it imports the models): MAX_BYTES, ImportFileError (ImportRefused or its own),
    display_name(filename),
    start(app, data, filename, *, user, locale, **options), and `reader`, the name of its function that
    reads a whole file and raises ImportFileError when it cannot be imported at all. `options(form)`: the
    choices on the form that start() takes; `context`: more for the templates of both pages."""

    name: str
    model: type[background.ImportJob]
    form: type
    importer: str
    reader: str
    options: Callable[[object], dict]
    context: dict = field(default_factory=dict)

    def module(self):
        return importlib.import_module(self.importer)


def kinds() -> dict[str, ImportKind]:
    """Every kind of import the enabled plugins registered (register_imports, called once at start-up)."""
    return {kind.name: kind for _, kind in plugins.host().items("register_imports")}


def _kind(name: str) -> ImportKind | None:
    return kinds().get(name)


def upload_page(name: str):
    """The form and the recent imports; a good upload starts the import and leads to its progress page."""
    kind = _kind(name)
    if kind is None:
        return message(_("There is no such import."), 404)
    importer = kind.module()
    background.close_stale(kind.model)
    form = kind.form()
    if not form.validate_on_submit():
        return _upload_page(kind, form, status=422 if request.method == "POST" else 200)
    upload = form.file.data
    try:
        data = decoding.read_bytes(upload.stream, importer.MAX_BYTES)
        getattr(importer, kind.reader)(data)
    except (ImportRefused, importer.ImportFileError) as error:
        form.file.errors.append(str(error))
        return _upload_page(kind, form, status=422)
    try:
        job = importer.start(
            current_app._get_current_object(),
            data,
            importer.display_name(upload.filename),
            user=current_user._get_current_object(),
            locale=str(get_locale()),
            **kind.options(form),
        )
    except background.AlreadyGoing:
        return _upload_page(kind, form, status=409, note=_("Another import is running; wait for it to finish."))
    return redirect(url_for(f"{kind.name}.import_status", import_id=job.id), 303)


def _upload_page(kind: ImportKind, form, status: int, note=""):
    model = kind.model
    imports = list(model.select(model, User).join(User, JOIN.LEFT_OUTER).order_by(model.id.desc()).limit(10))
    max_mb = kind.module().MAX_BYTES // 2**20
    return page(
        f"{kind.name}/import.html", form=form, imports=imports, max_mb=max_mb, note=note, status=status, **kind.context
    )


def status_page(name: str, import_id: int):
    """One import's progress: the full page, or the fragment its poll asks for."""
    kind = _kind(name)
    if kind is None:
        return message(_("There is no such import."), 404)
    background.close_stale(kind.model)
    job = kind.model.get_or_none(kind.model.id == import_id)
    if job is None:
        return message(_("There is no such import."), 404)
    return page(
        f"{kind.name}/import_status.html",
        f"{kind.name}/_import_progress.html",
        "import-progress",
        job=job,
        **kind.context,
    )
