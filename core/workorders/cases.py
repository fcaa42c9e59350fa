"""Cases a campaign opens and ends, written once for every plugin: `open_case()` creates a case with its
origin (plugin, kind, id), files and dispatches it; `conclude()` ends a case from whatever status it is
in, in one workflow event, with an outcome evaluation can tell apart; `of_origin()` finds a campaign's
cases. Everything goes through `workflow.transition`, as the actor given (a user, or a system actor
declared in core.workorders.actors): its permissions are checked like anyone's, and it is named on the
case's timeline and in the audit log."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.catalogue.models import Category, FilingStandard
from core.db import db
from core.org import Department
from core.workorders import states, workflow
from core.workorders.models import WorkOrder

# How a concluded case ended. None of them counts as the department's handling: a concluded case is left
# out of the stage figures (docs/evaluation.md), and counted by its outcome.
OUTCOMES = {
    "handled": _l("Handled outside the loop"),
    "object_gone": _l("The object is gone"),
    "duplicate": _l("Duplicate of another case"),
    "withdrawn": _l("Withdrawn: no grounds after all"),
}


class CaseError(workflow.WorkflowError):
    pass


def open_case(
    origin: tuple,
    category: Category,
    *,
    actor,
    file: FilingStandard | bool = True,
    dispatch: Department | None = None,
    reason: str = "",
    photos=(),
    **fields,
) -> WorkOrder:
    """Open a case for `origin` = (plugin, kind, object id) under `category`, as `actor` (source
    "campaign"). `file`: the filing-standard row to file it under, True for the category's first active
    one, False to leave it for the shift leader; `dispatch`: the department to send it to (needs filing).
    `fields` are the case's own (grid, address, latitude, longitude, description, ...). All or nothing."""
    plugin, kind, object_id = origin
    standard = file
    if file is True:
        standard = (
            FilingStandard.select()
            .where((FilingStandard.category == category) & (FilingStandard.active == True))
            .order_by(FilingStandard.seq)
            .first()
        )
        if standard is None:
            raise CaseError(_("The category %(code)s has no active filing standard.", code=category.code))
    if dispatch is not None and not standard:
        raise CaseError(_("A case is dispatched only once it is filed."))
    with db.atomic():
        order = workflow.create_order(
            actor,
            "campaign",
            category=category,
            origin_plugin=plugin,
            origin_kind=kind,
            origin_id=str(object_id),
            department=dispatch,
            photos=photos,
            **fields,
        )
        if standard:
            workflow.transition(
                order.id, "file", actor=actor, version=None, reason=reason, data={"standard": standard.id}
            )
        if dispatch is not None:
            workflow.transition(
                order.id, "dispatch", actor=actor, version=None, reason=reason, data={"department": dispatch.id}
            )
    return WorkOrder.get_by_id(order.id)


def conclude(order: WorkOrder, outcome: str, *, actor, reason: str, photos=(), data=None):
    """End an open case as `outcome` (OUTCOMES) in one event, from any status: closed when it had reached
    a department, voided before. A case already ended is left as it is (returns None); otherwise returns
    the event. The conclusion is audited under the actor's name."""
    if outcome not in OUTCOMES:
        raise CaseError(_("Say how the case ended."))
    current = WorkOrder.get_by_id(order.id)
    if current.status in states.FINAL:
        return None
    with db.atomic():
        event = workflow.transition(
            current.id,
            "conclude",
            actor=actor,
            version=current.version,
            reason=reason,
            data={**(data or {}), "outcome": outcome},
            photos=photos,
        )
        audit.record(
            "workorder.conclude",
            "work_order",
            current.id,
            f"{current.number}: {OUTCOMES[outcome]}",
            before={"status": current.status},
            after={"status": event.to_status, "outcome": outcome, "reason": reason},
            actor=actor,
        )
    return event


def of_origin(plugin: str, kind: str, object_id, open_only: bool = False):
    """The cases opened for one object of a campaign, oldest first."""
    query = WorkOrder.select().where(
        (WorkOrder.origin_plugin == plugin) & (WorkOrder.origin_kind == kind) & (WorkOrder.origin_id == str(object_id))
    )
    if open_only:
        query = query.where(WorkOrder.status.in_(list(states.OPEN)))
    return query.order_by(WorkOrder.id)
