"""The closed loop. `transition()` is the one place that changes a case's status: it checks the
actor's permission and scope, the case's version (two people acting at once: one wins, the other is
told who did what), writes the append-only event, recomputes the deadlines and the stage clock, and
fires the `workorder_transitioned` hook. `create_order()` is the one place cases are born."""

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from core import audit, clock, numbers
from core.attachments.service import attach
from core.catalogue import dispatch_rules
from core.db import db, is_sqlite
from core.org import User
from core.workorders import department, submissions
from core.workorders.clocks import stage_clock, warn_time
from core.workorders.effects import APPLY, KEEP_CLOCK, apply_nothing, rules
from core.workorders.errors import Conflict, NotAllowed, WorkflowError  # noqa: F401 (raised from here too)
from core.workorders.models import WorkOrder, WorkOrderEvent
from core.workorders.scope import can_see, in_grids, outside_areas
from core.workorders.states import ACTIONS, CREATE, STATUSES


def allowed_actions(order: WorkOrder, user) -> list[str]:
    """The actions this user may take on this case now (what the case page offers)."""
    names = []
    for name, action in ACTIONS.items():
        if order.status not in action.sources or not user.can(action.permission):
            continue
        if action.scope == "department" and not department.in_department(user, order):
            continue
        if action.scope == "grid" and not in_grids(user, order):
            continue
        if name in ("approve_extension", "refuse_extension") and not order.extension_requested:
            continue
        if name in ("approve_suspension", "refuse_suspension") and not order.suspension_requested_until:
            continue
        if name == "request_extension" and order.extension_requested:
            continue
        if name == "request_suspension" and order.suspension_requested_until:
            continue
        if not department.offered(name, order, user):
            continue
        names.append(name)
    return names


# --- numbers ---------------------------------------------------------------------------------------

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


CASE_SERIES = "case"


def next_number(year: int) -> str:
    """Year and sequence (core.numbers: unique under concurrency, no gaps)."""
    return f"{year}-{numbers.next_in(CASE_SERIES, year):06d}"


def tracking_code() -> str:
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


# --- creating and changing cases -------------------------------------------------------------------


def _who(actor) -> tuple:
    """(the user row or None, the name recorded) of a person or a system actor (core.workorders.actors)."""
    if actor is None:
        raise TypeError("a case is changed by someone: a user or a declared system actor, never None")
    return (actor if isinstance(actor, User) else None), actor.username


def _event(order, action, actor, from_status, reason="", data=None, now=None):
    user, name = _who(actor)
    return WorkOrderEvent.create(
        order=order,
        at=now or clock.now(),
        actor=user,
        actor_name=name,
        action=action,
        from_status=from_status,
        to_status=order.status,
        department=order.department_id,
        reason=reason,
        data=data,
    )


def _attach(order, photos, stage, event):
    for photo in photos:
        attach(
            "workorder", order.id, photo, stage=stage, by=event.actor_id if event else None,
            event_id=event.id if event else None,
        )  # fmt: skip


def new_order(actor, source: str, now: datetime, number: str, **fields) -> WorkOrder:
    """A case as it is born, not yet saved. Collectors' own reports wait for filing; reports from
    citizens and hotlines wait for the grid's collector to verify them on site first. A `department` given
    here is only the suggestion: a case reaches a department when it is dispatched. A collector's report
    from a grid outside their patrol areas is kept, marked so, and verified on site by that grid's own
    collector like a citizen's."""
    wanted = fields.pop("department", None)
    outside = source == "collector" and outside_areas(actor, fields.get("grid"))
    order = WorkOrder(
        number=number,
        source=source,
        status="to_verify" if source in ("hotline", "citizen") or outside else "reported",
        outside_areas=outside,
        reporter=actor if isinstance(actor, User) else None,
        reported_at=now,
        tracking_code=tracking_code() if source in ("hotline", "citizen") else None,
        **fields,
    )
    order.suggested_department = wanted or dispatch_rules.suggest(
        order.category_id, order.grid_id, fields.get("component")
    )
    stage_clock(order, now, rules().stage_limits)
    warn_time(order)
    return order


def create_order(actor, source: str, *, photos=(), submission_key=None, **fields) -> WorkOrder:
    """File a new report: the one place cases are born. With the `submission_key` of the form it came
    from, a repeat of a post that already made its case raises submissions.Repeated and creates nothing."""
    now = clock.now()
    with db.atomic():
        order = new_order(actor, source, now, next_number(now.year), **fields)
        order.save()
        if submission_key is not None:
            submissions.record(submission_key, actor, order, now)
        data = {"source": source, **({"outside_areas": True} if order.outside_areas else {})}
        event = _event(order, CREATE, actor, "", data=data, now=now)
        _attach(order, photos, "report", event)
    _fire("workorder_created", workorder=order)
    return order


def transition(order_id: int, action: str, *, actor, version: int | None, reason: str = "", data=None, photos=()):
    """Apply one action to one case as `actor` (a user, or a system actor with its declared permissions:
    both are checked the same way), or raise a WorkflowError saying why not. `version` None means the
    caller read no version (a job acting on what it just selected). Returns the event."""
    _who(actor)
    spec = ACTIONS.get(action)
    if spec is None:
        raise WorkflowError(_("Unknown action."))
    with db.atomic():
        query = WorkOrder.select().where(WorkOrder.id == order_id)
        order = (query if is_sqlite() else query.for_update()).get_or_none()
        if order is None or not can_see(actor, order):
            raise NotAllowed(_("There is no such case, or you may not see it."))
        if version is not None and order.version != version:
            raise Conflict(_conflict_message(order))
        if action not in allowed_actions(order, actor):
            if order.status not in spec.sources:
                raise WorkflowError(
                    _("This case is %(status)s now; that action is not possible.", status=STATUSES[order.status])
                )
            raise NotAllowed(_("You may not do that with this case."))
        fields = apply(order, action, actor, clock.now(), reason, data, photos)
        updated = (
            WorkOrder.update({f.name: getattr(order, f.name) for f in WorkOrder._meta.sorted_fields if f.name != "id"})
            .where((WorkOrder.id == order.id) & (WorkOrder.version == order.version - 1))
            .execute()
        )
        if updated != 1:  # pragma: no cover - the row lock makes this unreachable; kept as a guard
            raise Conflict(_conflict_message(WorkOrder.get_by_id(order.id)))
        event = WorkOrderEvent.create(order=order, **fields)
        stage = {
            "report_handled": "handling",
            "check_pass": "verification",
            "check_fail": "verification",
            "conclude": "verification",
        }.get(action)
        if stage:
            _attach(order, photos, stage, event)
        if action in AUDITED:
            _audit(order, event, actor)
    _fire("workorder_transitioned", workorder=order, event=event)
    return event


# Actions whose only record would otherwise be the case's own timeline: written to the audit log too.
AUDITED = {"assign", "merge_caller", "call_back"}


def _audit(order, event, actor):
    data = event.data or {}
    before, after = {}, {"reason": event.reason}
    if event.action == "assign":
        previous = User.get_or_none(User.id == data.get("from_assignee")) if data.get("from_assignee") else None
        before, after["assignee"] = {"assignee": previous.name if previous else None}, data.get("assignee_name")
    elif event.action == "merge_caller":
        after.update(callers=data.get("callers"), anonymous=bool(data.get("anonymous")))
    else:
        after["outcome"] = data.get("outcome")
    audit.record(
        f"workorder.{event.action}", "workorder", order.id, order.number, before=before, after=after, actor=actor
    )


def apply(order: WorkOrder, action: str, actor, now: datetime, reason="", data=None, photos=()) -> dict:
    """The change itself, in memory: status, deadlines, stage clock, version. Returns the fields of
    the event to record. transition() persists it; the demo history generator uses it directly so
    that generated cases follow exactly the same rules."""
    spec = ACTIONS[action]
    if order.status not in spec.sources:
        raise WorkflowError(
            _("This case is %(status)s now; that action is not possible.", status=STATUSES[order.status])
        )
    reason = (reason or "").strip()
    if spec.reason and not reason:
        raise WorkflowError(_("Please write the reason."))
    data = dict(data or {})
    if photos:
        data["photos"] = [photo.id for photo in photos]
    before = order.status
    if action in department.APPLY:
        department.APPLY[action](order, now, reason, data, actor)
    else:
        APPLY.get(action, apply_nothing)(order, now, reason, data)
    department.after(order, action, actor, data)
    recorded = action
    if action in department.RECORDED_AS_ANOTHER:  # the head's approval of a return is the department's return
        recorded, reason = data.pop("record_as", action), data.pop("record_reason", reason)
    if spec.target is not None:
        order.status = spec.target
    if order.status != before and action not in KEEP_CLOCK:
        # The clock this action stops, as it stood: evaluation measures each stage's timeliness from it.
        # A conclusion stops no clock that was met or missed: it leaves the stage out of the figures.
        if order.stage and order.stage_due_at and action != "conclude":
            data.update(ended_stage=order.stage, ended_due=str(order.stage_due_at))
        stage_clock(order, now, rules().stage_limits)
    warn_time(order)
    order.version += 1
    user, name = _who(actor)
    return {
        "at": now,
        "actor": user,
        "actor_name": name,
        "action": recorded,
        "from_status": before,
        "to_status": order.status,
        "department": order.department_id,
        "reason": reason,
        "data": data or None,
    }


def _conflict_message(order: WorkOrder) -> str:
    last = order.events.order_by(WorkOrderEvent.id.desc()).first()
    label = ACTIONS[last.action].label if last and last.action in ACTIONS else _("created it")
    return _(
        "Someone acted on this case before you: %(who)s — %(what)s at %(when)s. "
        "Nothing of yours was saved; the page now shows the case as it is.",
        who=last.actor_name if last else "?",
        what=label,
        when=last.at.strftime("%H:%M:%S") if last else "",
    )


def _fire(hook, **kwargs):
    current_app.extensions["xiuhua.plugins"].fire(hook, **kwargs)
