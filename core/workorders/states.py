"""The closed loop as data: the statuses of a case, the stages whose clocks run in them, and the
actions that move a case between them (who may take each, from where, to where). No application or
database is needed to read them; core.workorders.workflow applies them."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core import org

STATUSES = {
    "to_verify": _l("Awaiting on-site verification"),
    "reported": _l("Awaiting filing"),
    "filed": _l("Awaiting dispatch"),
    "returned": _l("Returned, awaiting re-dispatch"),
    "dispatched": _l("Dispatched"),
    "handling": _l("Being handled"),
    "suspended": _l("Suspended"),
    "handled": _l("Handled, awaiting check"),
    "checked": _l("Checked, awaiting closing"),
    "closed": _l("Closed"),
    "voided": _l("Voided"),
    "rejected": _l("Not accepted"),
}
FINAL = {"closed", "voided", "rejected"}
OPEN = set(STATUSES) - FINAL
AT_DEPARTMENT = {"dispatched", "handling"}
BEFORE_DISPATCH = {"to_verify", "reported", "filed", "returned"}  # where the suggested department matters
HANDLING_TYPES = org.HANDLING_TYPES

# status → the stage whose clock runs while a case is in it (domain.md §3: stage limits)
STAGE_OF = {
    "to_verify": "verify",
    "reported": "file",
    "filed": "dispatch",
    "returned": "dispatch",
    "dispatched": "handle",
    "handling": "handle",
    "handled": "check",
    "checked": "close",
}
STAGES = {
    "verify": _l("On-site verification"),
    "file": _l("Filing"),
    "dispatch": _l("Dispatch"),
    "handle": _l("Handling"),
    "check": _l("Check on site"),
    "close": _l("Closing"),
}


@dataclass(frozen=True)
class Action:
    label: object
    permission: str
    sources: frozenset
    target: str | None  # None: the status does not change
    reason: bool = False  # a written reason is required
    # "department": only the responsible department's people; "grid": work on site, only for the
    # collectors of the case's grid (and the centre), whoever reported it
    scope: str = "any"
    style: str = ""  # "danger" for the buttons of refusals


def _a(label, permission, sources, target, **kw):
    return Action(label, permission, frozenset(sources), target, **kw)


ACTIONS = {
    "verify_true": _a(_l("Confirm on site"), "workorder.verify", {"to_verify"}, "reported", scope="grid"),
    "verify_false": _a(
        _l("Not found on site"), "workorder.verify", {"to_verify"}, "voided", reason=True, scope="grid", style="danger"
    ),
    "reject": _a(
        _l("Do not accept"), "workorder.intake", {"to_verify", "reported"}, "rejected", reason=True, style="danger"
    ),
    "file": _a(_l("File the case"), "workorder.file", {"reported"}, "filed"),
    "void": _a(_l("Void"), "workorder.file", {"reported", "filed"}, "voided", reason=True, style="danger"),
    "dispatch": _a(_l("Dispatch"), "workorder.dispatch", {"filed", "returned"}, "dispatched"),
    "accept": _a(_l("Start handling"), "workorder.handle", {"dispatched"}, "handling", scope="department"),
    "return": _a(
        _l("Return: not ours"),
        "workorder.handle",
        AT_DEPARTMENT,
        "returned",
        reason=True,
        scope="department",
        style="danger",
    ),
    # A department's head asks nothing of the centre for these (core.workorders.department): assign a
    # case to a handler; approve or refuse a handler's request when the department's go via its head.
    "assign": _a(_l("Assign to a handler"), "workorder.assign", AT_DEPARTMENT, None, scope="department"),
    "request_return": _a(
        _l("Ask to return: not ours"),
        "workorder.handle",
        AT_DEPARTMENT,
        None,
        reason=True,
        scope="department",
        style="danger",
    ),
    "approve_request": _a(_l("Approve the request"), "workorder.assign", AT_DEPARTMENT, None, scope="department"),
    "refuse_request": _a(
        _l("Refuse the request"),
        "workorder.assign",
        AT_DEPARTMENT,
        None,
        reason=True,
        scope="department",
        style="danger",
    ),
    "report_handled": _a(
        _l("Report handled"), "workorder.handle", AT_DEPARTMENT, "handled", reason=True, scope="department"
    ),
    "request_extension": _a(
        _l("Ask for an extension"), "workorder.handle", AT_DEPARTMENT, None, reason=True, scope="department"
    ),
    "approve_extension": _a(_l("Approve the extension"), "workorder.approve", AT_DEPARTMENT, None),
    "refuse_extension": _a(
        _l("Refuse the extension"), "workorder.approve", AT_DEPARTMENT, None, reason=True, style="danger"
    ),
    "request_suspension": _a(
        _l("Ask to suspend"), "workorder.handle", AT_DEPARTMENT, None, reason=True, scope="department"
    ),
    "approve_suspension": _a(_l("Approve the suspension"), "workorder.approve", AT_DEPARTMENT, "suspended"),
    "refuse_suspension": _a(
        _l("Refuse the suspension"), "workorder.approve", AT_DEPARTMENT, None, reason=True, style="danger"
    ),
    "resume": _a(_l("Resume now"), "workorder.approve", {"suspended"}, None),
    "check_pass": _a(_l("Check passed"), "workorder.check", {"handled"}, "checked", scope="grid"),
    "check_fail": _a(
        _l("Check failed: rework"),
        "workorder.check",
        {"handled"},
        "dispatched",
        reason=True,
        scope="grid",
        style="danger",
    ),
    "close": _a(_l("Close the case"), "workorder.close", {"checked"}, "closed"),
    "supervise": _a(_l("Add a supervision note"), "workorder.supervise", OPEN, None, reason=True),
    # How a campaign ends its case from any open status (core.workorders.cases.conclude): never offered
    # on the case page; the outcome (cases.OUTCOMES) is in data and decides the final status.
    "conclude": _a(_l("Concluded"), "workorder.conclude", OPEN, None, reason=True),
    # Hotline intake (core.workorders.hotline): a further caller about an open case joins it; the centre
    # calls a caller back once the case is closed. Neither changes the status.
    "merge_caller": _a(_l("Another caller joined the case"), "workorder.intake", OPEN, None),
    "call_back": _a(_l("Caller called back"), "workorder.intake", {"closed"}, None),
}
# Actions the case page never offers as buttons (they are taken through core.workorders.cases and
# core.workorders.hotline, with forms of their own).
NOT_OFFERED = {"conclude", "merge_caller", "call_back"}
# The requests a handler makes that wait for the department's head first when the department's requests
# go via its head (core.workorders.department), by the action that makes each.
HEAD_REQUESTS = {"request_return": "return", "request_extension": "extension", "request_suspension": "suspension"}
CREATE = "create"
