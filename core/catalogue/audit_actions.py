"""The audit log's sentences for the catalogue's actions (the register_audit_actions hook)."""

from flask_babel import lazy_gettext as _l

from core.audit import AuditAction, link_to

CATEGORY = link_to("catalogue.category", id_arg="category_id")

ACTIONS = [
    AuditAction("catalogue.import", _l("imported the catalogue %(object)s"), link_to("catalogue.categories")),
    AuditAction("catalogue.category.update", _l("changed the category %(object)s"), CATEGORY),
    AuditAction(
        "catalogue.standard.update",
        _l("changed the filing standard %(object)s"),
        link_to("catalogue.standard_edit", id_arg="standard_id"),
    ),  # fmt: skip
    AuditAction("catalogue.dispatch_rule.set", _l("set the dispatch rule %(object)s"), CATEGORY),
    AuditAction("catalogue.dispatch_rule.remove", _l("removed the dispatch rule %(object)s"), CATEGORY),
]
