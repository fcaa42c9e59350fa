"""Responsibility per grid: bulk assignment by a whole area or by grids selected on the map, unassigning,
idempotent re-assigning, collectors' areas (GridAssignment), audit rows, validation, permissions, and what
the grid and case pages show."""

import pytest

from core.areas import Area
from core.audit import AuditEntry
from core.db import db
from core.responsibility.models import GridAssignment, Responsibility
from core.responsibility.people import collectors_of
from tests.support import create_user, login
from tests.workorder_support import build_city, report


@pytest.fixture
def make_app(english_xiuhua_app):
    return english_xiuhua_app


@pytest.fixture
def city(app):
    city = build_city()
    with db.connection_context():
        community = city.grid.parent
        city.grid2 = Area.create(code="430602001001002", name="洞庭社区2号网格", level="grid", parent=community)
    city.street = community.parent
    return city


def admin_client(app):
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    client.post("/lang", data={"lang": "en"})
    return client


def rows():
    with db.connection_context():
        return sorted(
            (r.area.code, r.department.code, r.user.username, r.role)
            for r in Responsibility.select().join(Area).switch(Responsibility)
        )


def audits(prefix):
    with db.connection_context():
        return list(AuditEntry.select().where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id))


def assign(client, **form):
    data = {"kind": "department", "op": "assign", "role": "责任人", **form}
    return client.post("/grids/responsibility/", data=data)


def test_bulk_assignment_by_a_whole_street_covers_every_grid_under_it(app, city):
    client = admin_client(app)
    handler = city.users["handler"]
    response = assign(client, area=city.street.id, department=city.sanitation.id, user=handler.id)
    assert response.status_code == 303
    assert rows() == [
        (code, "sanitation", "handler", "责任人")
        for code in sorted([city.grid.code, city.grid2.code, city.other_grid.code])
    ]
    (entry,) = audits("responsibility.")
    assert entry.action == "responsibility.assign" and entry.actor_name == "admin"
    assert entry.after["grids"] == sorted([city.grid.code, city.grid2.code, city.other_grid.code])
    assert entry.after["user"] == "handler"


def test_assignment_by_grids_selected_on_the_map_and_reassigning_is_idempotent(app, city):
    client = admin_client(app)
    handler = city.users["handler"]
    form = {"grids": [str(city.grid.id), str(city.grid2.id)], "department": city.sanitation.id, "user": handler.id}
    assert assign(client, **form).status_code == 303
    assert assign(client, **form).status_code == 303  # a double submit
    assert [r[0] for r in rows()] == [city.grid.code, city.grid2.code]
    assert len(audits("responsibility.")) == 1  # the second changed nothing, so nothing to audit
    assert assign(client, **form, **{"role": "分管负责人"}).status_code == 303  # a new role replaces the old
    assert {r[3] for r in rows()} == {"分管负责人"} and len(rows()) == 2


def test_unassign_one_person_or_everyone(app, city):
    client = admin_client(app)
    handler, head = city.users["handler"], city.users["dept_head"]
    for user in (handler, head):
        assign(client, area=city.grid.parent_id, department=city.sanitation.id, user=user.id)
    assert len(rows()) == 4
    response = client.post(
        "/grids/responsibility/",
        data={"kind": "department", "op": "unassign", "grids": [str(city.grid.id)], "department": city.sanitation.id,
              "user": handler.id},
    )  # fmt: skip
    assert response.status_code == 303
    assert (city.grid.code, "sanitation", "handler", "责任人") not in rows() and len(rows()) == 3
    client.post(
        "/grids/responsibility/",
        data={"kind": "department", "op": "unassign", "area": city.grid.parent_id, "department": city.sanitation.id},
    )
    assert rows() == []
    assert [e.action for e in audits("responsibility.")][-2:] == ["responsibility.unassign"] * 2
    assert audits("responsibility.")[-1].before["user"] is None


def test_the_person_must_belong_to_the_department_and_nothing_is_half_done(app, city):
    client = admin_client(app)
    response = assign(client, area=city.street.id, department=city.landscaping.id, user=city.users["handler"].id)
    assert response.status_code == 422
    assert "Choose a person of that department" in response.get_data(as_text=True)
    assert assign(client, department=city.sanitation.id, user=city.users["handler"].id).status_code == 422  # no grids
    assert assign(client, area=city.street.id, department="", user=city.users["handler"].id).status_code == 422
    assert (
        assign(client, area="999999", department=city.sanitation.id, user=city.users["handler"].id).status_code == 422
    )
    assert rows() == [] and audits("responsibility.") == []


def test_collectors_get_whole_areas_or_single_grids(app, city):
    client = admin_client(app)
    collector = create_user("patrol", "collector")
    response = client.post(
        "/grids/responsibility/",
        data={"kind": "collector", "op": "assign", "area": city.street.id, "collector": collector.id},
    )
    assert response.status_code == 303
    with db.connection_context():
        assert [a.area.code for a in GridAssignment.select().where(GridAssignment.user == collector)] == [
            city.street.code
        ]
        assert collector.id in {u.id for u, _via in collectors_of(Area.get_by_id(city.grid2.id))}
    client.post(
        "/grids/responsibility/",
        data={"kind": "collector", "op": "assign", "grids": [str(city.grid.id)], "collector": collector.id},
    )
    # Unassigning one grid still covered through the street says so.
    response = client.post(
        "/grids/responsibility/",
        data={"kind": "collector", "op": "unassign", "grids": [str(city.grid.id)], "collector": collector.id},
        follow_redirects=True,
    )
    assert "Still covered through a larger area" in response.get_data(as_text=True)
    client.post(
        "/grids/responsibility/",
        data={"kind": "collector", "op": "unassign", "area": city.street.id, "collector": collector.id},
    )
    with db.connection_context():
        assert not GridAssignment.select().where(GridAssignment.user == collector).exists()
    assert [e.action for e in audits("collector.")] == [
        "collector.assign",
        "collector.assign",
        "collector.unassign",
        "collector.unassign",
    ]


def test_only_collectors_can_be_given_areas(app, city):
    client = admin_client(app)
    response = client.post(
        "/grids/responsibility/",
        data={"kind": "collector", "op": "assign", "area": city.street.id, "collector": city.users["handler"].id},
    )
    assert response.status_code == 422


def test_non_administrators_are_refused(app, city):
    for role in ("dispatcher", "collector", "handler"):
        client = app.test_client()
        login(client, role)
        assert client.get("/grids/responsibility/").status_code == 403
        response = assign(client, area=city.street.id, department=city.sanitation.id, user=city.users["handler"].id)
        assert response.status_code == 403
    assert rows() == []
    anonymous = app.test_client().get("/grids/responsibility/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_page_has_a_selection_map_and_lists_an_area(app, city):
    client = admin_client(app)
    assign(client, area=city.grid.parent_id, department=city.sanitation.id, user=city.users["handler"].id)
    page = client.get(f"/grids/responsibility/?area={city.grid.parent_id}").get_data(as_text=True)
    assert 'data-select="grid-ids"' in page and '<select id="grid-ids" name="grids" multiple hidden' in page
    assert city.grid2.code in page and "(Responsible person)" in page  # stored as 责任人, shown in English


def test_grid_page_shows_who_is_responsible_collectors_and_open_cases(app, city):
    client = admin_client(app)
    assign(client, area=city.grid.parent_id, department=city.sanitation.id, user=city.users["handler"].id)
    with app.app_context(), db.connection_context():
        order = report(city)
    page = client.get(f"/grids/{city.grid.id}").get_data(as_text=True)
    assert 'id="section-responsibility"' in page and "环卫处" in page and "Handler" in page
    assert "Collector" in page and "through 洞庭社区" in page  # the collector holds the community
    assert 'id="section-orders"' in page and order.number in page
    assert 'id="section-components"' in page and 'id="section-evaluation"' in page
    # A handler of another department does not see the case listed.
    other = app.test_client()
    login(other, "other_handler")
    with db.connection_context():
        from core.org import Role, RolePermission

        RolePermission.get_or_create(role=Role.get(Role.code == "handler"), permission="grids.view")
    other_page = other.get(f"/grids/{city.grid.id}").get_data(as_text=True)
    assert order.number not in other_page


def test_case_page_names_the_grids_responsible_people_for_its_department(app, city):
    client = admin_client(app)
    assign(client, area=city.grid.parent_id, department=city.sanitation.id, user=city.users["handler"].id)
    with app.app_context(), db.connection_context():
        order = report(city)  # the category suggests sanitation
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Responsible at this grid:" in page and "Handler" in page
