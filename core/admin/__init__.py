"""Administration pages: users, departments, roles and permissions, audit log, plugins, jobs."""

import hashlib
import json

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField

bp = Blueprint("admin", __name__, url_prefix="/admin")


def fingerprint(snapshot: dict) -> str:
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class EditForm(FlaskForm):
    """A form editing an existing row. `seen` carries the fingerprint of the row as the form showed it, so
    saving over somebody else's change in the meantime is refused instead of silently undoing it."""

    seen = HiddenField()

    def show(self, snapshot: dict):
        self.seen.data = fingerprint(snapshot)

    def still_current(self, snapshot: dict) -> bool:
        if self.seen.data == fingerprint(snapshot):
            return True
        self.form_errors.append(
            _l(
                "Someone else changed this record while you were editing it. "
                "Reload the page to see their change; nothing was saved."
            )
        )
        return False


from core.admin import audit_log, departments, roles, system, users  # noqa: E402, F401
