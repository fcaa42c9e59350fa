"""The audit log's sentences for work orders's actions (the register_audit_actions hook)."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to
from core.workorders.cases import OUTCOMES
from core.workorders.hotline import CALL_BACK_OUTCOMES
from core.workorders.states import STATUSES as WORKORDER_STATUSES

ORDER = link_to("workorders.show", id_arg="order_id")

ACTIONS = [
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
]
