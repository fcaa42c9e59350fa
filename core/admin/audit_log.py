"""The audit log, newest first, filterable by action, object and actor; every entry told as a
sentence in the reader's language (core.audit.tell, with the actions every plugin registers)."""

from flask import request
from flask_babel import gettext as _
from peewee import JOIN

from core import plugins
from core.admin import bp
from core.audit import AuditEntry, tell
from core.org import User
from core.parsing import parse_int
from core.permissions import requires
from core.web import page

PAGE_SIZE = 50


def actions() -> dict:
    return {action.code: action for _, action in plugins.host().items("register_audit_actions")}


def who(entry: AuditEntry) -> str:
    if entry.actor_id:
        return entry.actor.name or entry.actor.username
    return entry.actor_name if entry.actor_name not in ("", "system") else _("the system")


@bp.route("/audit")
@requires("admin.audit")
def audit():
    query = AuditEntry.select(AuditEntry, User).join(User, JOIN.LEFT_OUTER).order_by(AuditEntry.id.desc())
    filters = {k: request.args.get(k, "").strip() for k in ("action", "object_type", "actor")}
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters["object_type"]:
        query = query.where(AuditEntry.object_type == filters["object_type"])
    if filters["actor"]:
        query = query.where(AuditEntry.actor_name == filters["actor"])
    page_no = max(request.args.get("page", 1, type=parse_int), 1)
    total = query.count()
    from core.audit_actions import FIELD_LABELS, value_labels  # names other modules' codes; they import core.admin

    known, codes = actions(), value_labels()
    permissions = {p["name"]: p["label"] for _, p in plugins.host().items("register_permissions")}  # role.grant
    labels = {**FIELD_LABELS, **permissions}
    entries = [(e, who(e), tell(e, known, labels, codes)) for e in query.paginate(page_no, PAGE_SIZE)]
    return page(
        "admin/audit.html",
        "admin/_audit_rows.html",
        "audit-rows",
        entries=entries,
        filters=filters,
        page_no=page_no,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )
