"""Notifications that reach the person who must act next. `recipients()` is the rule, per event kind;
`deliver()` writes them to the recipients' in-app notifications and, for the kinds each has not
turned off (NotifyOptOut), passes them to the `notify` hook (SMS, messaging apps). The core's
workorder_created / workorder_transitioned listeners (core/workorders/__init__.py) call `route()`
after the case has committed: a failure here never undoes the case."""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import clock
from core.notifications import centre, holders, or_centre
from core.org import Department, User
from core.responsibility import collectors_of
from core.workorders.models import Notification, NotifyOptOut, WorkOrder, WorkOrderEvent

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
}
KIND_OF_ACTION = {
    "dispatch": "dispatched",
    "check_fail": "rework",
    "return": "returned",
    "request_extension": "request",
    "request_suspension": "request",
    "supervise": "supervision",
}


def language(user=None) -> str:
    """The language to write to this person in (the installation's when they have none we speak)."""
    wanted = getattr(user, "language", None)
    return wanted if wanted in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def department_people(department_id) -> list[User]:
    """Who hears of a case at a department: its handlers and heads, or the centre when it has none."""
    if department_id is None:
        return centre()
    return or_centre(holders(("handler", "dept_head"), department_id))


def handlers(department_id) -> list[User]:
    """Who takes up a case sent to a department: its handlers, else its heads, else the centre."""
    if department_id is None:
        return centre()
    return holders(("handler",), department_id) or or_centre(holders(("dept_head",), department_id))


def dispatcher_of(order: WorkOrder) -> list[User]:
    """Who dispatched the case last (when still active), else every dispatcher, else the centre."""
    last = (
        WorkOrderEvent.select(WorkOrderEvent.actor)
        .where((WorkOrderEvent.order == order.id) & (WorkOrderEvent.action == "dispatch"))
        .order_by(WorkOrderEvent.id.desc())
        .first()
    )
    person = User.get_or_none((User.id == last.actor_id) & (User.active == True)) if last and last.actor_id else None
    return [person] if person else or_centre(holders(("dispatcher",)))


def collectors(order: WorkOrder) -> list[User]:
    people = [user for user, _area in collectors_of(order.grid)] if order.grid_id else []
    return or_centre([user for user in people if user.active])


def recipients(order: WorkOrder, event: WorkOrderEvent | None = None) -> tuple[str | None, list[User]]:
    """(the kind, who must act next) for a case just created (event None) or just changed by `event`;
    (None, []) when the event asks nothing of anyone. The actor is never told of their own act."""
    if event is None:
        kind, people = ("verify", collectors(order)) if order.status == "to_verify" else (None, [])
        actor_id = None
    else:
        kind = KIND_OF_ACTION.get(event.action)
        actor_id = event.actor_id
        people = {
            "dispatched": lambda: handlers(order.department_id),
            "rework": lambda: handlers(order.department_id),
            "returned": lambda: dispatcher_of(order),
            "request": lambda: centre(),
            "supervision": lambda: department_people(order.department_id) if order.department_id else centre(),
        }.get(kind, list)()
    return kind, [user for user in people if user.id != actor_id]


def text(kind: str, order: WorkOrder, event: WorkOrderEvent | None, user) -> str:
    """The notification in `user`'s language (it is stored, and sent on by `notify`)."""
    reason = event.reason if event is not None else ""
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
        if kind == "request" and event.action == "request_suspension":
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


def _department_name(department_id) -> str:
    department = Department.get_or_none(Department.id == department_id) if department_id else None
    return department.name if department else ""


def outside_kinds_off(user_id) -> set[str]:
    return {row.kind for row in NotifyOptOut.select(NotifyOptOut.kind).where(NotifyOptOut.user == user_id)}


def deliver(kind: str, order: WorkOrder, users, write, due=None) -> int:
    """Write `write(user)` to each user's notifications about `order` and, unless they turned `kind`
    off, pass it to the notify hook once committed. Returns how many were written."""
    host = current_app.extensions["xiuhua.plugins"]
    now = clock.now()
    for user in users:
        message = write(user)
        Notification.create(user=user, order=order, kind=kind, due=due, text=message, at=now)
        if kind not in outside_kinds_off(user.id):
            host.fire("notify", user=user, message=message, workorder=order)
    return len(users)


def tell(users, kind: str, write, *, order: WorkOrder | None = None, due=None) -> int:
    """Tell people something outside the page they are on: `write()` is called once per user, in that
    user's language, and its text goes to their in-app notifications (about `order`, when given) and,
    unless they turned `kind` off, to the notify hook once committed. `kind` is a short code of the
    plugin's own (e.g. "zombie-merge"). Returns how many were told."""
    count = 0
    for user in users:
        with force_locale(language(user)):
            count += deliver(kind, order, [user], lambda _user: str(write()), due=due)
    return count


def route(order: WorkOrder, event: WorkOrderEvent | None = None) -> int:
    kind, users = recipients(order, event)
    if kind is None:
        return 0
    return deliver(kind, order, users, lambda user: text(kind, order, event, user))


def unread(user) -> int:
    """The user's unread notifications: one count on the (user, ...) index, for the header's badge."""
    return Notification.select().where((Notification.user == user.id) & (Notification.read == False)).count()
