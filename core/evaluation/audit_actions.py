"""The audit log's sentences for evaluation's actions (the register_audit_actions hook)."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to

ACTIONS = [
    AuditAction("evaluation.deduct", _l("deducted points: %(object)s"), link_to("evaluation.deductions")),
    AuditAction("evaluation.withdraw", _l("withdrew a deduction from %(object)s"), link_to("evaluation.deductions")),
    AuditAction("evaluation.configure", _l("changed the score settings %(object)s"), link_to("evaluation.scoring")),
    AuditAction("evaluation.publish", _l("published the ranking %(object)s"), link_to("evaluation.snapshot_list")),
    AuditAction("evaluation.republish", _l("republished the ranking %(object)s"), link_to("evaluation.snapshot_list")),
]
