"""The demo city: shaped like the source, idempotent, and careful with real data."""

import pytest

from core import demo
from core.areas import Area
from core.db import db
from core.org import Department, Role, User
from core.permissions import BUILTIN_ROLES
from tests.support import create_user, login


def counts():
    with db.connection_context():
        return (Area.select().count(), Department.select().count(), User.select().count())


def test_demo_city_has_the_source_shape(demo_app):
    with db.connection_context():
        districts = Area.select().where(Area.level == "district")
        grids = list(Area.select().where(Area.level == "grid"))
        assert districts.count() == 6
        assert 300 <= len(grids) <= 900
        for grid in grids[:50]:
            assert len(grid.code) == 15 and grid.code.isdigit()
            assert grid.code.startswith(grid.parent.code) and grid.parent.level == "community"
        dept_names = {d.name for d in Department.select()}
        for expected in (
            "数字城管指挥中心",
            "环境卫生管理处",
            "园林绿化管理处",
            "市政设施维护处",
            "路灯管理处",
            "城管执法支队",
            "停车管理办公室",
        ):
            assert expected in dept_names
        assert Department.select().where(Department.type == "district").count() == 6


def test_every_builtin_role_has_a_demo_user_who_can_log_in(demo_app):
    with db.connection_context():
        covered = {role.code for user in User.select() for role in user.roles()}
    assert covered == {role["code"] for role in BUILTIN_ROLES}
    assert login(demo_app.test_client(), "admin", demo.DEMO_PASSWORD).status_code == 302


def test_loading_twice_changes_nothing(demo_app):
    before = counts()
    demo.load(demo_app)
    assert counts() == before


def test_refuses_a_database_with_other_data_unless_forced(app):
    with db.connection_context():
        create_user("real.person", "admin")
        with pytest.raises(demo.RefusedError):
            demo.load(app)
        assert Area.select().count() == 0
        demo.load(app, force=True)
        assert Area.select().count() > 0


def test_cli_loads_only_into_an_empty_database_with_if_empty(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "demo city ready" in result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in result.output


def test_cli_counts_what_it_made_and_tells_each_stage(app):
    output = app.test_cli_runner().invoke(args=["demo", "load"]).output
    with db.connection_context():
        users = User.select().count()
        grids = Area.select().where(Area.level == "grid").count()
    assert users > len(demo.USERS)  # plugins add their own people: the count is the database's
    assert f"{users} users" in output.splitlines()[-1] and f"{grids} unit grids" in output.splitlines()[-1]
    stages = [line for line in output.splitlines() if line.endswith(" s)")]
    assert stages[0].startswith("city: ") and f"{len(demo.USERS)} users" in stages[0]
    assert any(line.startswith("workorders: ") and " cases" in line for line in stages)
    assert any(line.startswith("zombie_cars: ") for line in stages)


def test_cli_refusal_is_a_clear_message(app):
    with db.connection_context():
        create_user("real.person")
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "--force" in result.output


def test_demo_roles_carry_their_permissions(demo_app):
    with db.connection_context():
        admin = Role.get(Role.code == "admin")
    assert "admin.users" in admin.permission_names()


def test_the_built_in_plugins_demo_data_arrives_too(demo_app):
    from core.components.models import Component
    from core.grids.models import GridShape
    from core.workorders.models import WorkOrder

    with db.connection_context():
        shaped = GridShape.select().join(Area).where(Area.level == "grid").count()
        assert shaped == Area.select().where(Area.level == "grid").count()
        assert WorkOrder.select().count() > 0
        assert Component.select().count() == demo_app.config["DEMO_COMPONENTS"]


def test_every_department_that_handles_cases_has_a_head_and_handlers(demo_app):
    from core.notifications.recipients import holders
    from core.org import HANDLING_TYPES

    with db.connection_context():
        departments = list(Department.select().where(Department.type.in_(list(HANDLING_TYPES))))
        assert len(departments) > 20  # the professional departments, the district and street offices
        for department in departments:
            assert holders(("dept_head",), department.id), department.name
            assert holders(("handler",), department.id), department.name


def test_sanitation_goes_via_its_head_with_a_case_assigned_and_a_request_waiting(demo_app):
    from core.notifications.models import Notification
    from core.workorders.models import WorkOrder

    with db.connection_context():
        sanitation = Department.get(Department.code == "sanitation")
        handler = User.get(User.username == "handler")
        assert sanitation.requests_via_head
        assigned = WorkOrder.get(WorkOrder.assignee == handler.id)
        assert assigned.department_id == sanitation.id
        assert Notification.select().where((Notification.kind == "assigned") & (Notification.user == handler)).exists()
        waiting = WorkOrder.get(WorkOrder.head_request == "extension")
        head = User.get(User.username == "depthead")
        assert (
            Notification.select()
            .where(
                (Notification.subject_kind == "workorder")
                & (Notification.subject_id == waiting.id)
                & (Notification.user == head)
            )
            .exists()
        )


@pytest.mark.parametrize("start", ["2026-12-04 09:00", "2026-12-14 07:00", "2026-12-26 14:00", "2026-12-30 10:00"])
def test_the_history_only_takes_steps_the_rules_allow_whatever_the_day(app, start, caplog):
    """The simulated history depends on today's date (deadlines skip weekends): on any day none of
    its steps is refused (a refused step loses the whole history, as a suspension asked for once
    overdue did on some days)."""
    from datetime import datetime

    from core import clock

    with clock.frozen(datetime.fromisoformat(start)):
        app.test_cli_runner().invoke(args=["demo", "load"])
    assert "failed in demo_data" not in caplog.text
