"""What each workflow action changes on a case besides its status (deadlines, department, suspension,
outcome…), in memory: `core.workorders.workflow.apply` calls APPLY[action] and persists the result. And the
configurable workflow rules (config key WORKFLOW) these changes follow."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _

from core.catalogue import dispatch_rules
from core.catalogue.models import FilingStandard
from core.org import Department
from core.parsing import ParseError, parse_datetime
from core.timelimits import season_of
from core.workorders import department
from core.workorders.errors import WorkflowError
from core.workorders.states import HANDLING_TYPES
from core.worktime import deadlines


@dataclass
class Rules:
    """Configurable workflow rules (config key WORKFLOW)."""

    max_extensions: int = 2
    extension_when_overdue: bool = False
    suspension_when_overdue: bool = False  # allowed, an overdue case would leave the month it is late in
    max_suspensions: int = 1
    max_suspension_days: int = 365
    stage_limits: dict = field(
        default_factory=lambda: {
            "verify": "2小时",
            "file": "0.5小时",
            "dispatch": "0.25小时",
            "check": "2小时",
            "close": "1小时",
        }
    )


def rules() -> Rules:
    return Rules(**current_app.config.get("WORKFLOW", {}))


def _row(model, value):
    """`data` names rows by id (from forms) or hands the row itself (the demo generator)."""
    if isinstance(value, model):
        return value
    return model.get_or_none(model.id == value) if isinstance(value, int) else None


def apply_nothing(order, now, reason, data):
    pass


def _apply_file(order, now, reason, data):
    standard = _row(FilingStandard, data.get("standard"))
    if standard is None:
        raise WorkflowError(_("Choose the filing-standard row this case meets."))
    order.standard = standard
    if order.category_id != standard.category_id:  # filed under another category: its own suggestion
        order.category = standard.category_id
        order.suggested_department = dispatch_rules.suggest(order.category_id, order.grid_id, order.component)
    order.limit_value, order.limit_unit = standard.limit_value, standard.limit_unit
    order.limit_season = season_of(standard.limit_note)
    order.filed_at = now
    data["standard"] = standard.id
    data["limit"] = standard.limit_text


def _apply_dispatch(order, now, reason, data):
    department = _row(Department, data.get("department"))
    if department is None:
        raise WorkflowError(_("Choose the department to dispatch to."))
    if department.type not in HANDLING_TYPES:
        raise WorkflowError(
            _(
                "%(department)s is a %(type)s, which does not handle cases: dispatch to a professional "
                "department, a district or a street office.",
                department=department.name,
                type=department.type_label,
            )
        )
    if order.limit_value is None:
        raise WorkflowError(_("The case has no time limit: file it with a filing-standard row first."))
    order.department = department
    order.dispatched_at = order.dispatched_at or now
    order.due_at = _round_due(order, now)
    data["department"] = department.id
    data["due_at"] = order.due_at.isoformat()


def _round_due(order, now):
    """A new handling round's deadline; a seasonal limit's clock may wait for its season (clock_from)."""
    start = deadlines.season_start(now, order.limit_season)
    order.clock_from = start if start > now else None
    return deadlines.due_at(start, Decimal(order.limit_value), order.limit_unit)


def _apply_return(order, now, reason, data):
    department.end_round(order, data)


def _apply_handled(order, now, reason, data):
    if not data.get("photos"):
        raise WorkflowError(_("Add at least one photo of the result."))
    order.handled_at = now
    order.extension_requested = False
    order.suspension_requested_until = None


def _apply_request_extension(order, now, reason, data):
    r = rules()
    if order.extensions >= r.max_extensions:
        raise WorkflowError(_("This case has had the most extensions allowed (%(n)d).", n=r.max_extensions))
    if not r.extension_when_overdue and order.due_at and now > order.due_at:
        raise WorkflowError(_("The case is already overdue: an extension must be asked for before the deadline."))
    order.extension_requested = True


def _apply_approve_extension(order, now, reason, data):
    order.extensions += 1
    order.extension_requested = False
    order.due_at = deadlines.due_at(order.due_at, Decimal(order.limit_value), order.limit_unit)
    order.stage_due_at = order.due_at
    data["due_at"] = order.due_at.isoformat()


def _apply_refuse_extension(order, now, reason, data):
    order.extension_requested = False


def _apply_request_suspension(order, now, reason, data):
    r = rules()
    if order.suspensions >= r.max_suspensions:
        raise WorkflowError(_("A case can be suspended only %(n)d time(s).", n=r.max_suspensions))
    if not r.suspension_when_overdue and order.due_at and now > order.due_at:
        raise WorkflowError(_("The case is already overdue: a suspension must be asked for before the deadline."))
    try:  # one with a time zone ("…T00:00:00+08:00") is taken as that moment in local time
        until = parse_datetime(data["until"]) if data.get("until") else None
    except ParseError:
        until = None
    if until is None or until <= now:
        raise WorkflowError(_("Give the date until which the work cannot be done (in the future)."))
    if until > now + timedelta(days=r.max_suspension_days):
        raise WorkflowError(_("A suspension may last at most %(n)d days.", n=r.max_suspension_days))
    order.suspension_requested_until = until
    data["until"] = until.isoformat()


def _apply_approve_suspension(order, now, reason, data):
    if order.suspension_requested_until <= now:
        raise WorkflowError(
            _(
                "The suspension asked for would already have ended (%(date)s): refuse it; the department may ask again.",
                date=order.suspension_requested_until.strftime("%Y-%m-%d"),
            )
        )
    order.suspensions += 1
    order.resume_status = order.status
    order.suspended_from, order.suspended_until = now, order.suspension_requested_until
    order.suspension_requested_until = None
    data["until"] = order.suspended_until.isoformat()


def _apply_refuse_suspension(order, now, reason, data):
    order.suspension_requested_until = None


def _apply_resume(order, now, reason, data):
    """The clock stood still while suspended: the deadline moves by the paused time of its unit."""
    paused_from, unit = order.suspended_from, order.limit_unit
    if order.clock_from and order.clock_from > paused_from:  # paused while waiting for the season
        paused_from = min(order.clock_from, now)
    order.due_at = deadlines.due_after_pause(order.due_at, paused_from, now, unit)
    order.stage_started_at = deadlines.due_after_pause(order.stage_started_at, paused_from, now, unit)
    order.stage_due_at = order.due_at
    order.status = order.resume_status or "dispatched"
    order.suspended_from = order.suspended_until = None
    data["due_at"] = order.due_at.isoformat()


def _apply_check_fail(order, now, reason, data):
    """Rework: back to the same department, with a new handling round."""
    order.reworks += 1
    order.handled_at = None
    order.due_at = _round_due(order, now)
    data["due_at"] = order.due_at.isoformat()


def _apply_close(order, now, reason, data):
    order.closed_at = now


def _apply_conclude(order, now, reason, data):
    """The case ends as `data["outcome"]` says: closed once it had reached a department, voided before."""
    from core.workorders.cases import OUTCOMES

    if data.get("outcome") not in OUTCOMES:
        raise WorkflowError(_("Say how the case ended."))
    order.outcome = data["outcome"]
    order.status = "closed" if order.dispatched_at else "voided"
    order.closed_at = now if order.status == "closed" else None
    order.extension_requested = False
    order.suspension_requested_until = None
    order.suspended_from = order.suspended_until = None


APPLY = {
    "file": _apply_file,
    "dispatch": _apply_dispatch,
    "return": _apply_return,
    "report_handled": _apply_handled,
    "request_extension": _apply_request_extension,
    "approve_extension": _apply_approve_extension,
    "refuse_extension": _apply_refuse_extension,
    "request_suspension": _apply_request_suspension,
    "approve_suspension": _apply_approve_suspension,
    "refuse_suspension": _apply_refuse_suspension,
    "resume": _apply_resume,
    "check_fail": _apply_check_fail,
    "close": _apply_close,
    "conclude": _apply_conclude,
}
# A suspension pauses the stage clock rather than ending it; resuming shifts it by the pause.
KEEP_CLOCK = {"approve_suspension", "resume"}
