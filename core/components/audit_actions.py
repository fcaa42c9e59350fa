"""The audit log's sentences for the component census's actions (the register_audit_actions hook)."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to
from core.components.models import STATUSES as COMPONENT_STATUSES

ACTIONS = [
    AuditAction("components.import", _l("imported a component census: %(object)s"), link_to("components.index")),
    AuditAction(
        "components.status",
        _l("changed the status of component %(object)s"),
        link_to("components.show", id_arg="component_id"),
        values={"status": COMPONENT_STATUSES},
    ),  # fmt: skip
]
