"""The audit log's sentences for responsibility and patrol areas's actions (the register_audit_actions hook)."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to

ASSIGNMENT_FIELDS = {"user": _l("User"), "role": _l("Role"), "grids": _l("Unit grids")}

ACTIONS = [
    AuditAction(
        "responsibility.assign",
        _l("assigned responsible people: %(object)s"),
        link_to("responsibility.index"),
        ASSIGNMENT_FIELDS,
    ),
    AuditAction(
        "responsibility.unassign",
        _l("removed responsible people: %(object)s"),
        link_to("responsibility.index"),
        ASSIGNMENT_FIELDS,
    ),
    AuditAction(
        "collector.assign", _l("gave patrol grids to %(object)s"), link_to("responsibility.index"), ASSIGNMENT_FIELDS
    ),
    AuditAction(
        "collector.unassign",
        _l("took patrol grids from %(object)s"),
        link_to("responsibility.index"),
        ASSIGNMENT_FIELDS,
    ),
]
