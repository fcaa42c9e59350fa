"""Which case event tells whom: the work orders' routing rule. `deliveries()` is the rule, per event kind;
recipients are found by what they may do (core.notifications.recipients.holders_of), never by role
codes; `route()` hands them to core.notifications' notify() (in-app, then the `notify` hook for the
kinds each has not turned off). The core's workorder_created / workorder_transitioned listeners
(core/workorders/__init__.py) call `route()` after the case has committed: a failure here never undoes
the case."""

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.notifications.recipients import centre, holders_of, or_centre
from core.notifications.service import language, notify
from core.org import Department, User
from core.responsibility.people import collectors_of
from core.workorders import department as dept
from core.workorders.models import WorkOrder, WorkOrderEvent

# kind → what it is, as a person choosing which kinds reach them outside the app reads it
KINDS = {
    "dispatched": _l("A case dispatched to my department"),
    "rework": _l("A case sent back for rework after its check"),
    "returned": _l("A case a department returned"),
    "request": _l("An extension or suspension to approve"),
    "verify": _l("A report to verify on site"),
    "supervision": _l("A supervision note"),
    "due-soon": _l("A case close to its handling deadline"),
    "overdue": _l("A case past its handling deadline"),
    "assigned": _l("A case my department's head assigned to me"),
    "decision": _l("A decision on a request I made"),
}
KIND_OF_ACTION = {
    "dispatch": "dispatched",
    "check_fail": "rework",
    "return": "returned",
    "request_extension": "request",
    "request_suspension": "request",
    "request_return": "request",
    "supervise": "supervision",
    "assign": "assigned",
}
# The decisions on a request, told to whoever asked.
DECISIONS = {
    "approve_extension",
    "refuse_extension",
    "approve_suspension",
    "refuse_suspension",
    "approve_request",
    "refuse_request",
}
HANDLE, APPROVE, DISPATCH = "workorder.handle", "workorder.approve", "workorder.dispatch"


def department_people(department_id) -> list[User]:
    """Who hears of a case at a department: its people who handle cases (heads too), or the centre."""
    if department_id is None:
        return centre()
    return or_centre(holders_of((HANDLE,), [department_id]))


def handlers(department_id) -> list[User]:
    """Who takes up a case sent to a department: its handlers, else its heads, else the centre."""
    if department_id is None:
        return centre()
    heads = {user.id for user in dept.heads(department_id)}
    people = holders_of((HANDLE,), [department_id])
    return [user for user in people if user.id not in heads] or or_centre(people)


def assignee_or_handlers(order: WorkOrder) -> list[User]:
    """The handler the case is assigned to (while active), else the department's handlers."""
    person = User.get_or_none((User.id == order.assignee_id) & (User.active == True)) if order.assignee_id else None
    return [person] if person else handlers(order.department_id)


def approvers() -> list[User]:
    """Who approves the departments' requests at the centre, else the centre."""
    return or_centre(holders_of((APPROVE,)))


def dispatcher_of(order: WorkOrder) -> list[User]:
    """Who dispatched the case last (when still active), else every dispatcher, else the centre."""
    last = (
        WorkOrderEvent.select(WorkOrderEvent.actor)
        .where((WorkOrderEvent.order == order.id) & (WorkOrderEvent.action == "dispatch"))
        .order_by(WorkOrderEvent.id.desc())
        .first()
    )
    person = User.get_or_none((User.id == last.actor_id) & (User.active == True)) if last and last.actor_id else None
    return [person] if person else or_centre(holders_of((DISPATCH,)))


def requester_of(event: WorkOrderEvent) -> list[User]:
    data = event.data or {}
    if "requested_by" in data:
        person = User.get_or_none(User.id == data["requested_by"]) if data["requested_by"] else None
    else:
        person = dept.requester(event.order)
    return [person] if person and person.active else []


def collectors(order: WorkOrder) -> list[User]:
    people = [user for user, _area in collectors_of(order.grid)] if order.grid_id else []
    return or_centre([user for user in people if user.active])


def deliveries(order: WorkOrder, event: WorkOrderEvent | None = None) -> list[tuple[str, list[User]]]:
    """[(kind, who must act next or hear of it)] for a case just created (event None) or just changed by
    `event`; [] when the event asks nothing of anyone. The actor is never told of their own act."""
    if event is None:
        return [("verify", collectors(order))] if order.status == "to_verify" else []
    data = event.data or {}
    found = []
    kind = KIND_OF_ACTION.get(event.action)
    if kind == "request" and data.get("via_head"):
        found.append(("request", or_centre(dept.heads(order.department_id))))
    elif kind:
        people = {
            "dispatched": lambda: handlers(order.department_id),
            "rework": lambda: assignee_or_handlers(order),
            "returned": lambda: dispatcher_of(order),
            "request": approvers,
            "supervision": lambda: department_people(order.department_id) if order.department_id else centre(),
            "assigned": lambda: [order.assignee] if order.assignee_id else [],
        }[kind]()
        found.append((kind, people))
    if event.action == "approve_request":  # the head let an extension or a suspension go on to the centre
        found.append(("request", approvers()))
    if event.action in DECISIONS or (event.action == "return" and data.get("requested_by")):
        found.append(("decision", requester_of(event)))
    return [(kind, [user for user in people if user.id != event.actor_id]) for kind, people in found]


def recipients(order: WorkOrder, event: WorkOrderEvent | None = None) -> tuple[str | None, list[User]]:
    """The first of deliveries(): (the kind, who must act next), (None, []) when nobody."""
    found = deliveries(order, event)
    return found[0] if found else (None, [])


def text(kind: str, order: WorkOrder, event: WorkOrderEvent | None, user) -> str:
    """The notification in `user`'s language (it is stored, and sent on by `notify`)."""
    reason = event.reason if event is not None else ""
    if event is not None and event.action == "approve_request":  # the centre reads what the handler asked
        request = dept.request_event(order)
        reason = request.reason if request else reason
    department = _department_name(
        (event.data or {}).get("from_department") if kind == "returned" else order.department_id
    )
    with force_locale(language(user)):
        if kind == "dispatched":
            return _(
                "Case %(number)s was dispatched to %(department)s: please handle it.",
                number=order.number,
                department=department,
            )
        if kind == "rework":
            return _(
                "Case %(number)s failed its on-site check and is back for rework: %(reason)s",
                number=order.number,
                reason=reason,
            )
        if kind == "returned":
            return _(
                "%(department)s returned case %(number)s: %(reason)s. Please dispatch it again.",
                number=order.number,
                department=department,
                reason=reason,
            )
        if kind == "assigned":
            return _(
                "Case %(number)s was assigned to you by %(who)s: please handle it.",
                number=order.number,
                who=event.actor.name if event.actor_id else event.actor_name,
            )
        if kind == "decision":
            return decision_text(order, event)
        if kind == "request" and (event.data or {}).get("via_head"):
            return _(
                "%(who)s asks you to approve %(request)s of case %(number)s: %(reason)s",
                who=event.actor.name if event.actor_id else event.actor_name,
                request=dept.request_label(dept_request(event)),
                number=order.number,
                reason=reason,
            )
        if kind == "request" and dept_request(event) == "suspension":
            return _(
                "%(department)s asks to suspend case %(number)s: %(reason)s",
                number=order.number,
                department=department,
                reason=reason,
            )
        if kind == "request":
            return _(
                "%(department)s asks for an extension of case %(number)s: %(reason)s",
                number=order.number,
                department=department,
                reason=reason,
            )
        if kind == "verify":
            return _(
                "Case %(number)s at %(address)s awaits your verification on site.",
                number=order.number,
                address=order.address,
            )
        return _("Supervision note on case %(number)s: %(reason)s", number=order.number, reason=reason)


def dept_request(event: WorkOrderEvent) -> str:
    """The request ("return", "extension", "suspension") an event makes or decides."""
    from core.workorders.states import HEAD_REQUESTS

    return HEAD_REQUESTS.get(event.action) or (event.data or {}).get("request", "")


def decision_text(order: WorkOrder, event: WorkOrderEvent) -> str:
    """What the requester is told of the decision on their request (in the locale already forced)."""
    data, reason, number = event.data or {}, event.reason, order.number
    if event.action == "approve_extension":
        due = order.due_at.strftime("%Y-%m-%d %H:%M") if order.due_at else ""
        return _("The extension of case %(number)s was approved: the new deadline is %(due)s.", number=number, due=due)
    if event.action == "refuse_extension":
        return _("The extension of case %(number)s was refused: %(reason)s", number=number, reason=reason)
    if event.action == "approve_suspension":
        until = (data.get("until") or "")[:10]
        return _("The suspension of case %(number)s was approved until %(date)s.", number=number, date=until)
    if event.action == "refuse_suspension":
        return _("The suspension of case %(number)s was refused: %(reason)s", number=number, reason=reason)
    request = dept.request_label(dept_request(event))
    if event.action == "refuse_request":
        return _(
            "Your department's head refused %(request)s of case %(number)s: %(reason)s",
            request=request,
            number=number,
            reason=reason,
        )
    if event.action == "return":
        return _(
            "Your department's head approved the return of case %(number)s: it goes back to the command centre.",
            number=number,
        )
    return _(
        "Your department's head approved %(request)s of case %(number)s: it goes on to the command centre.",
        request=request,
        number=number,
    )


def _department_name(department_id) -> str:
    department = Department.get_or_none(Department.id == department_id) if department_id else None
    return department.name if department else ""


def route(order: WorkOrder, event: WorkOrderEvent | None = None) -> int:
    sent = 0
    for kind, users in deliveries(order, event):
        sent += notify(order, users, kind, lambda user, kind=kind: text(kind, order, event, user))
    return sent
