"""The audit log, newest first, filterable by action, object and actor."""

from flask import request

from core.admin import bp
from core.audit import AuditEntry
from core.parsing import parse_int
from core.permissions import requires
from core.web import page

PAGE_SIZE = 50


@bp.route("/audit")
@requires("admin.audit")
def audit():
    query = AuditEntry.select().order_by(AuditEntry.id.desc())
    filters = {k: request.args.get(k, "").strip() for k in ("action", "object_type", "actor")}
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters["object_type"]:
        query = query.where(AuditEntry.object_type == filters["object_type"])
    if filters["actor"]:
        query = query.where(AuditEntry.actor_name == filters["actor"])
    page_no = max(request.args.get("page", 1, type=parse_int), 1)
    total = query.count()
    return page(
        "admin/audit.html",
        "admin/_audit_rows.html",
        "audit-rows",
        entries=list(query.paginate(page_no, PAGE_SIZE)),
        filters=filters,
        page_no=page_no,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )
