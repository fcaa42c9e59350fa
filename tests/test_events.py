"""Event hooks (workorder_created, workorder_transitioned, notify) reach plugins only once the
caller's transaction has committed, each listener in a transaction of its own (core.db.after_commit)."""

import pytest

from core.audit import AuditEntry
from core.db import db, open_database
from core.workorders.models import WorkOrder
from tests.support import PLUGIN_SETS
from tests.workorder_support import build_city, report

EVENT_PLUGINS = PLUGIN_SETS / "xh_events"  # a_listener, then b_listener


@pytest.fixture
def events(make_app):
    app = make_app(PLUGINS_DIR=str(EVENT_PLUGINS))
    host = app.extensions["xiuhua.plugins"]
    first, second = host.get_plugin("a_listener"), host.get_plugin("b_listener")
    first.SEEN.clear()
    second.SEEN.clear()
    first.FAIL = False
    with app.app_context(), db.connection_context():
        yield app, build_city(), first, second
    first.FAIL = False


def audited_elsewhere(app, action: str) -> int:
    """Audit rows of `action` as a second connection sees them: committed ones."""
    other = open_database(app.config["DATABASE_URL"])
    try:
        sql = f"SELECT COUNT(*) FROM audit_entry WHERE action = {other.param}"
        return other.execute_sql(sql, (action,)).fetchone()[0]
    finally:
        other.close()


def test_an_outer_transaction_that_rolls_back_fires_nothing(events):
    app, city, first, second = events
    with pytest.raises(RuntimeError, match="undone"):
        with db.atomic():
            report(city)
            raise RuntimeError("undone")
    assert WorkOrder.select().count() == 0
    assert first.SEEN == [] and second.SEEN == []


def test_a_savepoint_that_rolls_back_fires_nothing_when_the_outer_commits(events):
    app, city, first, second = events
    with db.atomic():
        kept = report(city)
        with pytest.raises(RuntimeError):
            with db.atomic():
                report(city, address="洞庭路2号")
                raise RuntimeError("undone")
    assert [order.id for order in WorkOrder.select()] == [kept.id]
    assert first.SEEN == [("a", kept.id, True)] and second.SEEN == [("b", kept.id)]


def test_an_outer_transaction_that_commits_fires_once_after_the_case_is_visible_elsewhere(events):
    app, city, first, second = events
    with db.atomic():
        order = report(city)
        assert first.SEEN == []  # not while the caller's transaction is open
    assert first.SEEN == [("a", order.id, True)]
    assert second.SEEN == [("b", order.id)]


def test_a_listener_that_raises_undoes_neither_the_case_nor_the_next_listener(events):
    app, city, first, second = events
    first.FAIL = True
    with db.atomic():
        order = report(city)
    assert first.SEEN == [("a", order.id, True)] and second.SEEN == [("b", order.id)]
    assert WorkOrder.get_by_id(order.id).number == order.number
    assert audited_elsewhere(app, "a_listener.saw") == 0  # its own transaction was rolled back
    assert audited_elsewhere(app, "b_listener.saw") == 1  # the next listener's writes committed
    assert not db.in_transaction()


def test_after_commit_outside_a_transaction_runs_at_once_and_keeps_failures_to_itself(events):
    ran = []
    db.after_commit(lambda: ran.append("now"))
    db.after_commit(lambda: 1 / 0)
    db.after_commit(lambda: ran.append("still"))
    assert ran == ["now", "still"]
    with db.atomic():
        db.after_commit(lambda: 1 / 0)
        db.after_commit(lambda: ran.append("after commit"))
        assert ran == ["now", "still"]
    assert ran == ["now", "still", "after commit"]
    assert AuditEntry.select().count() == 0
