"""Where cases go: dispatch only to departments that handle cases (not the command or supervision
centres), on the case page and in bulk; a collector's report from outside their patrol areas is kept,
marked, and verified and checked by that grid's own collector, while its reporter sees only it."""

import io

import pytest

from core.db import db
from core.org import Department
from core.workorders import scope, workflow
from core.workorders.models import WorkOrder
from core.workorders.workflow import NotAllowed, WorkflowError
from tests.support import client_for, in_db
from tests.workorder_support import act, build_city, jpeg, photo, report

CENTRE_TYPES = ["command", "supervision"]


@pytest.fixture
def make_app(english_xiuhua_app):
    return english_xiuhua_app


@pytest.fixture
def city(app):
    made = build_city()
    with db.connection_context():
        made.centre = Department.get(Department.code == "command")
        made.supervision = Department.create(name="监督中心", code="supervision", type="supervision")
    return made


def filed(city):
    order = report(city)
    act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
    return WorkOrder.get_by_id(order.id)


# --- item 8: dispatch only to handling departments ------------------------------------------------


@pytest.mark.parametrize("kind", CENTRE_TYPES)
def test_dispatch_to_a_centre_is_refused_with_a_message(app, city, kind):
    order = in_db(app, lambda: filed(city))
    department = city.centre if kind == "command" else city.supervision
    dispatcher = client_for(app, "dispatcher")
    page = dispatcher.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'value="{department.id}"' not in page  # the form does not offer it
    response = dispatcher.post(
        f"/orders/{order.id}/act",
        data={"action": "dispatch", "version": order.version, "department": department.id},
    )
    assert response.status_code == 422
    assert "does not handle cases" in response.get_data(as_text=True)
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "filed"
    in_db(app, lambda: act(city, order, "dispatch", "dispatcher", data={"department": city.sanitation.id}))
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).department_id) == city.sanitation.id


def test_bulk_dispatch_to_a_centre_or_a_centre_suggested_is_refused_case_by_case(app, city):
    orders = in_db(app, lambda: [filed(city), filed(city)])
    in_db(app, lambda: WorkOrder.update(suggested_department=city.supervision).execute())
    dispatcher = client_for(app, "dispatcher")
    for form in ({"department": city.centre.id}, {"to": "suggested"}):
        data = {**form, "order": [str(o.id) for o in orders], **{f"v{o.id}": o.version for o in orders}}
        page = dispatcher.post("/orders/bulk-dispatch", data=data, follow_redirects=True).get_data(as_text=True)
        assert page.count("does not handle cases") == 2
        assert in_db(app, lambda: WorkOrder.select().where(WorkOrder.status == "filed").count()) == 2


# --- item 8: a report from outside the collector's patrol areas -----------------------------------


def report_outside(app, collector):
    return collector.post(
        "/orders/new",
        data={
            "category": "0101 暴露垃圾",
            "description": "路过看到垃圾堆",
            "grid": "430602001002001",  # 滨湖社区1号网格: other_collector's, not collector's
            "photos": [(io.BytesIO(jpeg()), "a.jpg")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_report_from_outside_ones_areas_is_kept_marked_and_sent_to_the_grids_collector(app, city):
    collector = client_for(app, "collector")
    response = report_outside(app, collector)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "outside your patrol areas" in page and 'id="outside-areas"' in page
    order = in_db(app, lambda: WorkOrder.get())
    assert (order.grid_id, order.status, order.outside_areas) == (city.other_grid.id, "to_verify", True)
    assert order.reporter_id == city.users["collector"].id
    # the reporter sees their report but may not verify it; it is not in their verification box
    assert "Confirm on site" not in page
    assert order.number not in collector.get("/orders/?box=to_verify").get_data(as_text=True)
    with pytest.raises(NotAllowed):
        in_db(app, lambda: act(city, order, "verify_true", "collector"))
    # the grid's own collector has it to verify
    own = client_for(app, "other_collector")
    assert order.number in own.get("/orders/?box=to_verify").get_data(as_text=True)
    assert "Confirm on site" in own.get(f"/orders/{order.id}").get_data(as_text=True)
    in_db(app, lambda: act(city, order, "verify_true", "other_collector"))
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "reported"


def test_later_on_site_checks_go_to_the_grids_collector_too(app, city):
    report_outside(app, client_for(app, "collector"))

    def through_handling():
        order = WorkOrder.get()
        act(city, order, "verify_true", "other_collector")
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        act(city, order, "dispatch", "dispatcher", data={"department": city.sanitation.id})
        act(city, order, "report_handled", "handler", reason="已清理", photos=[photo(city.users["handler"])])
        return WorkOrder.get_by_id(order.id)

    order = in_db(app, through_handling)
    with pytest.raises(NotAllowed):
        in_db(app, lambda: act(city, order, "check_pass", "collector"))
    assert order.number not in client_for(app, "collector").get("/orders/?box=to_check").get_data(as_text=True)
    in_db(app, lambda: act(city, order, "check_pass", "other_collector"))
    assert in_db(app, lambda: WorkOrder.get_by_id(order.id).status) == "checked"


def test_the_reporter_from_elsewhere_sees_only_their_own_report_not_the_grids_cases(app, city):
    theirs = in_db(
        app,
        lambda: workflow.create_order(
            city.users["other_collector"], "collector", description="本网格案件", grid=city.other_grid
        ),
    )
    collector = client_for(app, "collector")
    report_outside(app, collector)
    mine = in_db(app, lambda: WorkOrder.get(WorkOrder.reporter == city.users["collector"].id))
    listed = collector.get("/orders/?box=all").get_data(as_text=True)
    assert mine.number in listed and theirs.number not in listed
    assert collector.get(f"/orders/{mine.id}").status_code == 200
    assert collector.get(f"/orders/{theirs.id}").status_code == 404
    visible = in_db(app, lambda: {o.id for o in scope.visible(city.users["collector"])})
    assert visible == {mine.id}


def test_a_report_in_ones_own_grid_is_not_marked(app, city):
    order = in_db(app, lambda: report(city))
    assert (order.status, order.outside_areas) == ("reported", False)
    hotline = in_db(
        app,
        lambda: workflow.create_order(
            city.users["intake"], "hotline", description="x", grid=city.other_grid, caller_phone="1"
        ),
    )
    assert hotline.outside_areas is False
    with pytest.raises(WorkflowError):
        in_db(app, lambda: act(city, order, "verify_true", "collector"))  # not awaiting verification


def test_a_dispatch_rule_to_a_centre_is_refused(app, city):
    from core.catalogue.dispatch_rules import DispatchRule

    admin = client_for(app, "admin")
    page = admin.get(f"/catalogue/{city.category.id}").get_data(as_text=True)
    rules_form = page.split('id="dispatch-rules"', 1)[1]
    assert f'value="{city.supervision.id}"' not in rules_form and f'value="{city.sanitation.id}"' in rules_form
    url = f"/catalogue/{city.category.id}/dispatch-rules"
    refused = admin.post(url, data={"area": "430602001", "department": str(city.supervision.id)}, follow_redirects=True)
    assert "does not handle cases" in refused.get_data(as_text=True)
    assert in_db(app, lambda: DispatchRule.select().count()) == 0
