"""A department's internal work on its cases: its head assigns a case to one of its handlers (or a
team's), and, when the department's requests go via its head (Department.requests_via_head), approves
or refuses a handler's return, extension and suspension requests before they reach the centre. The
clocks run on while the head decides: the department's time. core.workorders.workflow applies these
actions like every other; here are the rules and what each changes."""

from flask_babel import gettext as _

from core.notifications.recipients import holders_of
from core.org import Department, User, descendants
from core.workorders.errors import WorkflowError
from core.workorders.models import WorkOrder, WorkOrderEvent
from core.workorders.states import HEAD_REQUESTS

ASSIGN = "workorder.assign"  # what makes someone a department's head
HANDLE = "workorder.handle"


def request_label(kind: str) -> str:
    return {"return": _("a return"), "extension": _("an extension"), "suspension": _("a suspension")}.get(kind, kind)


def heads(department_id) -> list[User]:
    """The department's heads: its people who may assign its cases."""
    return holders_of((ASSIGN,), [department_id]) if department_id else []


def is_head(user, order: WorkOrder) -> bool:
    return bool(order.department_id) and user.department_id == order.department_id and user.can(ASSIGN)


def needs_head(order: WorkOrder, user) -> bool:
    """A request `user` makes on this case waits for the head: the department's go via its head, the
    user is not a head themselves, and the department has one (else it goes straight to the centre)."""
    if not order.department_id or is_head(user, order):
        return False
    department = Department.get_or_none(Department.id == order.department_id)
    return bool(department and department.requests_via_head and heads(order.department_id))


def assignable(order: WorkOrder) -> list[User]:
    """Who the head may give the case to: the handlers of the department and of its teams (the units
    under it)."""
    if not order.department_id:
        return []
    return holders_of((HANDLE,), descendants(Department.get_by_id(order.department_id)))


def in_department(user, order: WorkOrder) -> bool:
    """The user works the case as one of its department: of the department, or the case's assignee
    (a team's handler)."""
    if not order.department_id:
        return False
    return user.department_id == order.department_id or order.assignee_id == user.id


def requester(order: WorkOrder) -> User | None:
    """Who made the case's latest request (return, extension or suspension)."""
    event = (
        WorkOrderEvent.select(WorkOrderEvent.actor)
        .where((WorkOrderEvent.order == order.id) & WorkOrderEvent.action.in_(list(HEAD_REQUESTS)))
        .order_by(WorkOrderEvent.id.desc())
        .first()
    )
    return User.get_or_none(User.id == event.actor_id) if event and event.actor_id else None


def request_event(order: WorkOrder) -> WorkOrderEvent | None:
    return (
        WorkOrderEvent.select()
        .where((WorkOrderEvent.order == order.id) & WorkOrderEvent.action.in_(list(HEAD_REQUESTS)))
        .order_by(WorkOrderEvent.id.desc())
        .first()
    )


# --- what each action changes ----------------------------------------------------------------------


def end_round(order: WorkOrder, data: dict):
    """The department's round ends with a return: its requests and its assignment go with it."""
    order.returns += 1
    data["from_department"] = order.department_id
    order.extension_requested = False
    order.suspension_requested_until = None
    order.head_request = ""
    order.assignee = None


def _assign(order, now, reason, data, actor):
    value = data.get("assignee")
    user = value if isinstance(value, User) else User.get_or_none(User.id == value) if isinstance(value, int) else None
    if user is None or user.id not in {u.id for u in assignable(order)}:
        raise WorkflowError(_("Choose one of the department's handlers."))
    if user.id == order.assignee_id:
        raise WorkflowError(_("The case is already assigned to %(name)s.", name=user.name))
    data["from_assignee"] = order.assignee_id
    order.assignee = user
    data["assignee"] = user.id
    data["assignee_name"] = user.name


def _request_return(order, now, reason, data, actor):
    if not needs_head(order, actor):
        raise WorkflowError(_("Return the case: your department's requests go straight to the centre."))
    order.head_request = "return"


def _approve_request(order, now, reason, data, actor):
    kind = order.head_request
    if not kind:
        raise WorkflowError(_("There is no request waiting for the head."))
    asked = requester(order)
    data["request"] = kind
    data["requested_by"] = asked.id if asked else None
    order.head_request = ""
    if kind == "return":
        # Approved, the return is the department's: recorded as one, as evaluation counts returns.
        request = request_event(order)
        end_round(order, data)
        order.status = "returned"
        data["record_as"] = "return"
        data["record_reason"] = request.reason if request else reason
        if reason:
            data["note"] = reason


def _refuse_request(order, now, reason, data, actor):
    kind = order.head_request
    if not kind:
        raise WorkflowError(_("There is no request waiting for the head."))
    asked = requester(order)
    data["request"] = kind
    data["requested_by"] = asked.id if asked else None
    order.head_request = ""
    if kind == "extension":
        order.extension_requested = False
    elif kind == "suspension":
        order.suspension_requested_until = None


RECORDED_AS_ANOTHER = {"approve_request"}  # may name the action and reason its event records
APPLY = {
    "assign": _assign,
    "request_return": _request_return,
    "approve_request": _approve_request,
    "refuse_request": _refuse_request,
}


def after(order: WorkOrder, action: str, actor, data: dict):
    """What every action changes of the department's internal state, after its own change."""
    if action in ("request_extension", "request_suspension") and needs_head(order, actor):
        order.head_request = HEAD_REQUESTS[action]
        data["via_head"] = True
    elif action == "request_return":
        data["via_head"] = True
    elif action == "dispatch":
        order.assignee = None  # a new department: nobody there has it yet
        order.head_request = ""
    elif action in ("conclude", "report_handled"):
        order.head_request = ""


def offered(name: str, order: WorkOrder, user) -> bool:
    """Whether the department's rules let `user` take the action `name` now (its permission, status and
    scope already checked)."""
    if name == "return":
        return not needs_head(order, user)
    if name == "request_return":
        return not order.head_request and needs_head(order, user)
    if name in ("request_extension", "request_suspension"):
        return not order.head_request
    if name in ("approve_request", "refuse_request"):
        return bool(order.head_request) and is_head(user, order)
    if name == "assign":
        return is_head(user, order)
    if name in ("approve_extension", "refuse_extension", "approve_suspension", "refuse_suspension"):
        return not order.head_request  # the head decides first
    return True
