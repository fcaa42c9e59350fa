"""Listens to workorder_created after a_listener: writes an audit row and notes what it saw."""

from core import audit
from core.hookspecs import hookimpl

SEEN: list[tuple] = []


@hookimpl
def workorder_created(workorder):
    audit.record("b_listener.saw", "workorder", workorder.id)
    SEEN.append(("b", workorder.id))
