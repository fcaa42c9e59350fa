"""The audit log's sentences for the working-time calendar's actions (the register_audit_actions hook)."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to

ACTIONS = [
    AuditAction("calendar.hours", _l("changed the working hours %(object)s"), link_to("worktime.manage")),
    AuditAction("calendar.day.create", _l("added the calendar day %(object)s"), link_to("worktime.manage")),
    AuditAction("calendar.day.update", _l("changed the calendar day %(object)s"), link_to("worktime.manage")),
    AuditAction("calendar.day.delete", _l("removed the calendar day %(object)s"), link_to("worktime.manage")),
    AuditAction("calendar.import", _l("imported the holidays %(object)s"), link_to("worktime.manage")),
]
