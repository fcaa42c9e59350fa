"""The core's own audit action codes (users, departments, roles, jobs) as sentences
(core.audit.AuditAction), and labels for the keys the core's entries record before and after a change.
Each feature registers its own actions the same way (`<feature>/audit_actions.py`), as plugins do."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to
from core.org import DEPARTMENT_TYPES, LANGUAGES, REQUEST_ROUTES, Role

USER = link_to("admin.user_edit", id_arg="user_id")
DEPARTMENT = link_to("admin.department_edit", id_arg="dept_id")

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
    AuditAction("role.create", _l("created role %(object)s"), link_to("admin.roles")),
    AuditAction("role.grant", _l("granted a permission to role %(object)s"), link_to("admin.roles")),
    AuditAction("role.revoke", _l("took a permission from role %(object)s"), link_to("admin.roles")),
    AuditAction("job.run", _l("ran the job %(object)s by hand"), link_to("admin.jobs")),
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
