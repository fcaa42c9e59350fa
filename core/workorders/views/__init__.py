"""The closed loop's pages, split by page: the case lists (lists.py), one case (case.py) and the report
form with its photo uploads (report.py); hotline intake (core.workorders.intake) is on the same blueprint.
The page modules add their routes to `bp` when core.workorders registers its blueprints."""

from flask import Blueprint, request
from flask_babel import gettext as _

from core.parsing import parse_int
from core.workorders.errors import WorkflowError

bp = Blueprint("workorders", __name__, url_prefix="/orders")


def posted_version(name: str = "version") -> int:
    """The case version a form showed. A post without one (an old page, a hand-made request) is refused, not
    let through unchecked: two people acting at once must meet the version check."""
    version = request.form.get(name, type=parse_int)
    if version is None or version < 0:
        raise WorkflowError(
            _("This form does not say which version of the case it acts on. Reload the page; nothing was done.")
        )
    return version
