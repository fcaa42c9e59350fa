"""Listens to workorder_created first (folder plugins load in name order): writes an audit row, notes
what it saw (and whether another connection sees the case), and raises when a test sets FAIL."""

from flask import current_app

from core import audit
from core.db import open_database
from core.hookspecs import hookimpl

SEEN: list[tuple] = []
FAIL = False


def seen_elsewhere(order_id: int) -> bool:
    """Whether a second connection to the database sees the case: it has been committed."""
    other = open_database(current_app.config["DATABASE_URL"])
    try:
        sql = f"SELECT COUNT(*) FROM work_order WHERE id = {other.param}"
        return other.execute_sql(sql, (order_id,)).fetchone()[0] == 1
    finally:
        other.close()


@hookimpl
def workorder_created(workorder):
    audit.record("a_listener.saw", "workorder", workorder.id)
    SEEN.append(("a", workorder.id, seen_elsewhere(workorder.id)))
    if FAIL:
        raise RuntimeError("a_listener fails on purpose")
