"""Scheduled work: supervision reminders and the end of suspensions."""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from core import clock
from core.notifications.service import language, notify
from core.scheduler import N_, Summary
from core.workorders.actors import SYSTEM
from core.workorders.clocks import light
from core.workorders.models import WorkOrder
from core.workorders.notifications import department_people
from core.workorders.states import AT_DEPARTMENT
from core.workorders.workflow import WorkflowError, transition


def reminder(kind: str, order: WorkOrder, user) -> str:
    """The reminder's text, in the recipient's language (it is stored, and sent on by `notify`)."""
    due = order.due_at.strftime("%Y-%m-%d %H:%M")
    with force_locale(language(user)):
        if kind == "due-soon":
            return _(
                "Case %(number)s is close to its handling deadline (%(due)s): please finish it soon.",
                number=order.number,
                due=due,
            )
        return _(
            "Case %(number)s is past its handling deadline (%(due)s): handle it now and explain the delay.",
            number=order.number,
            due=due,
        )


def supervise() -> Summary:
    """Find cases at a department whose handling clock is yellow or red and tell the department's
    handlers and heads (the centre when it has none) once per case, level and deadline (an extension or
    a rework sets a new one), in the app and through the notify hook."""
    now = clock.now()
    sent = 0
    orders = WorkOrder.select().where(WorkOrder.status.in_(list(AT_DEPARTMENT)) & WorkOrder.due_at.is_null(False))
    for order in orders:
        kind = {"yellow": "due-soon", "red": "overdue"}.get(light(order, now))
        if kind is None:
            continue
        write = lambda user, order=order, kind=kind: reminder(kind, order, user)  # noqa: E731
        sent += notify(order, department_people(order.department_id), kind, write, due=order.due_at)
    return Summary(N_("Reminders sent: %(n)d"), n=sent)


def resume_suspended() -> Summary:
    now = clock.now()
    resumed = 0
    for order in WorkOrder.select().where((WorkOrder.status == "suspended") & (WorkOrder.suspended_until <= now)):
        # the case's record, read by everyone: written in the installation's language
        with force_locale(language()):
            reason = _("The suspension ended on %(date)s.", date=order.suspended_until.strftime("%Y-%m-%d"))
        try:
            transition(order.id, "resume", actor=SYSTEM, version=order.version, reason=reason)
            resumed += 1
        except WorkflowError:
            current_app.logger.exception("could not resume %s", order.number)
    return Summary(N_("Suspended cases resumed: %(n)d"), n=resumed)
