"""Scheduled work: supervision reminders and the end of suspensions."""

from flask import current_app
from peewee import JOIN

from core import clock
from core.org import Role, User, UserRole
from core.workorders.models import Notification, WorkOrder
from core.workorders.workflow import AT_DEPARTMENT, WorkflowError, light, transition

MESSAGES = {
    "due-soon": "案件 {number} 即将超期（处置时限 {due}），请抓紧处置。",
    "overdue": "案件 {number} 已超期（处置时限 {due}），请立即处置并说明情况。",
}


def department_heads(department_id: int) -> list[User]:
    return list(
        User.select()
        .join(UserRole, JOIN.INNER, on=(UserRole.user == User.id))
        .join(Role)
        .where((User.department == department_id) & (Role.code == "dept_head") & (User.active == True))
    )


def supervise() -> str:
    """Find cases at a department whose handling clock is yellow or red and tell the department's
    heads once per case and level, in the app and through the notify hook."""
    now = clock.now()
    host = current_app.extensions["xiuhua.plugins"]
    sent = 0
    orders = WorkOrder.select().where(WorkOrder.status.in_(list(AT_DEPARTMENT)) & WorkOrder.due_at.is_null(False))
    for order in orders:
        kind = {"yellow": "due-soon", "red": "overdue"}.get(light(order, now))
        if kind is None:
            continue
        text = MESSAGES[kind].format(number=order.number, due=order.due_at.strftime("%Y-%m-%d %H:%M"))
        for head in department_heads(order.department_id):
            told = Notification.select().where(
                (Notification.user == head) & (Notification.order == order) & (Notification.kind == kind)
            )
            if told.exists():
                continue
            Notification.create(user=head, order=order, kind=kind, text=text, at=now)
            sent += 1
            host.call_each("notify", user=head, message=text, workorder=order)
    return f"{sent} reminders sent"


def resume_suspended() -> str:
    now = clock.now()
    resumed = 0
    for order in WorkOrder.select().where((WorkOrder.status == "suspended") & (WorkOrder.suspended_until <= now)):
        try:
            transition(order.id, "resume", None, None, reason="suspension ended")
            resumed += 1
        except WorkflowError:
            current_app.logger.exception("could not resume %s", order.number)
    return f"{resumed} suspended cases resumed"
