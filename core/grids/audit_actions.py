"""The audit log's sentences for the unit grids's actions (the register_audit_actions hook)."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to

ACTIONS = [
    AuditAction("grids.import", _l("imported unit-grid shapes: %(object)s"), link_to("grids.index")),
]
