"""The core's audit action codes as sentences (core.audit.AuditAction), and labels for the keys the
core's entries record before and after a change. Plugins register theirs the same way."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from core.audit import AuditAction
from core.components.models import STATUSES as COMPONENT_STATUSES
from core.org import DEPARTMENT_TYPES, LANGUAGES, REQUEST_ROUTES, Role
from core.workorders.cases import OUTCOMES
from core.workorders.hotline import CALL_BACK_OUTCOMES
from core.workorders.states import STATUSES as WORKORDER_STATUSES


def _to(endpoint, **fixed):
    """A link builder for an object id: `_to("admin.user_edit", id_arg="user_id")`."""
    id_arg = fixed.pop("id_arg", None)

    def link(object_id):
        if id_arg and not str(object_id).isdigit():
            return None
        return url_for(endpoint, **({id_arg: int(object_id)} if id_arg else {}), **fixed)

    return link


USER = _to("admin.user_edit", id_arg="user_id")
DEPARTMENT = _to("admin.department_edit", id_arg="dept_id")
CATEGORY = _to("catalogue.category", id_arg="category_id")
ASSIGNMENT_FIELDS = {"user": _l("User"), "role": _l("Role"), "grids": _l("Unit grids")}
ORDER = _to("workorders.show", id_arg="order_id")

ACTIONS = [
    AuditAction("user.create", _l("created user %(object)s"), USER),
    AuditAction("user.update", _l("changed user %(object)s"), USER),
    AuditAction("user.unlock", _l("unlocked user %(object)s"), USER),
    AuditAction("user.locked", _l("locked the account %(object)s after too many failed logins"), USER),
    AuditAction("user.password", _l("changed the password of %(object)s"), USER),
    AuditAction("user.password_failed", _l("failed to change the password of %(object)s"), USER),
    AuditAction("user.logout_everywhere", _l("ended every session of %(object)s"), USER),
    AuditAction("department.create", _l("created department %(object)s"), DEPARTMENT),
    AuditAction("department.update", _l("changed department %(object)s"), DEPARTMENT),
    AuditAction("department.delete", _l("deleted department %(object)s")),
    AuditAction("role.create", _l("created role %(object)s"), _to("admin.roles")),
    AuditAction("role.grant", _l("granted a permission to role %(object)s"), _to("admin.roles")),
    AuditAction("role.revoke", _l("took a permission from role %(object)s"), _to("admin.roles")),
    AuditAction("job.run", _l("ran the job %(object)s by hand"), _to("admin.jobs")),
    AuditAction("calendar.hours", _l("changed the working hours %(object)s"), _to("worktime.manage")),
    AuditAction("calendar.day.create", _l("added the calendar day %(object)s"), _to("worktime.manage")),
    AuditAction("calendar.day.update", _l("changed the calendar day %(object)s"), _to("worktime.manage")),
    AuditAction("calendar.day.delete", _l("removed the calendar day %(object)s"), _to("worktime.manage")),
    AuditAction("calendar.import", _l("imported the holidays %(object)s"), _to("worktime.manage")),
    AuditAction("catalogue.import", _l("imported the catalogue %(object)s"), _to("catalogue.categories")),
    AuditAction("catalogue.category.update", _l("changed the category %(object)s"), CATEGORY),
    AuditAction(
        "catalogue.standard.update",
        _l("changed the filing standard %(object)s"),
        _to("catalogue.standard_edit", id_arg="standard_id"),
    ),  # fmt: skip
    AuditAction("catalogue.dispatch_rule.set", _l("set the dispatch rule %(object)s"), CATEGORY),
    AuditAction("catalogue.dispatch_rule.remove", _l("removed the dispatch rule %(object)s"), CATEGORY),
    AuditAction("grids.import", _l("imported unit-grid shapes: %(object)s"), _to("grids.index")),
    AuditAction("components.import", _l("imported a component census: %(object)s"), _to("components.index")),
    AuditAction(
        "components.status",
        _l("changed the status of component %(object)s"),
        _to("components.show", id_arg="component_id"),
        values={"status": COMPONENT_STATUSES},
    ),  # fmt: skip
    AuditAction(
        "responsibility.assign",
        _l("assigned responsible people: %(object)s"),
        _to("responsibility.index"),
        ASSIGNMENT_FIELDS,
    ),
    AuditAction(
        "responsibility.unassign",
        _l("removed responsible people: %(object)s"),
        _to("responsibility.index"),
        ASSIGNMENT_FIELDS,
    ),
    AuditAction(
        "collector.assign", _l("gave patrol grids to %(object)s"), _to("responsibility.index"), ASSIGNMENT_FIELDS
    ),
    AuditAction(
        "collector.unassign", _l("took patrol grids from %(object)s"), _to("responsibility.index"), ASSIGNMENT_FIELDS
    ),
    AuditAction("workorders.export", _l("exported the case list: %(object)s")),
    AuditAction(
        "workorder.conclude",
        _l("concluded the case %(object)s"),
        ORDER,
        {"status": _l("Status"), "outcome": _l("Outcome"), "reason": _l("Reason")},
        {"status": WORKORDER_STATUSES, "outcome": OUTCOMES},
    ),
    AuditAction(
        "workorder.assign",
        _l("assigned the case %(object)s to a handler"),
        ORDER,
        {"assignee": _l("Assigned to"), "reason": _l("Note")},
    ),
    AuditAction(
        "workorder.merge_caller",
        _l("added a further caller to the case %(object)s"),
        ORDER,
        {"callers": _l("Callers"), "anonymous": _l("Anonymous"), "reason": _l("What the caller said")},
    ),
    AuditAction(
        "workorder.call_back",
        _l("recorded a call-back to the caller of the case %(object)s"),
        ORDER,
        {"outcome": _l("Outcome"), "reason": _l("Note")},
        {"outcome": CALL_BACK_OUTCOMES},
    ),
    AuditAction("evaluation.deduct", _l("deducted points: %(object)s"), _to("evaluation.deductions")),
    AuditAction("evaluation.withdraw", _l("withdrew a deduction from %(object)s"), _to("evaluation.deductions")),
    AuditAction("evaluation.configure", _l("changed the score settings %(object)s"), _to("evaluation.scoring")),
    AuditAction("evaluation.publish", _l("published the ranking %(object)s"), _to("evaluation.snapshot_list")),
    AuditAction("evaluation.republish", _l("republished the ranking %(object)s"), _to("evaluation.snapshot_list")),
]

FIELD_LABELS = {
    "username": _l("Username"), "name": _l("Name"), "phone": _l("Phone"), "department": _l("Department"),
    "roles": _l("Roles"), "language": _l("Language"), "active": _l("Active"), "code": _l("Code"),
    "type": _l("Type"), "parent": _l("Parent department"), "sort": _l("Sort order"), "status": _l("Status"),
    "locked_until": _l("Locked until"), "failures": _l("Failed logins"), "level": _l("Level"),
    "object": _l("Object"), "day": _l("Day"), "points": _l("Points"), "reason": _l("Reason"),
    "photo": _l("Photo"), "periods": _l("Working hours"), "requests": _l("Requests"), "cases": _l("Cases"), "role": _l("Role"),
    "permission": _l("Permission"), "grids": _l("Unit grids"), "note": _l("Note"), "file": _l("File"),
}  # fmt: skip


def value_labels() -> dict:
    """Labels for the codes the core's entries hold (roles by their names, department types, languages)."""
    return {
        "roles": {role.code: role.name for role in Role.select(Role.code, Role.name)},
        "type": DEPARTMENT_TYPES,
        "requests": REQUEST_ROUTES,
        "language": LANGUAGES,
    }
