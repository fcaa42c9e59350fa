"""Every edit form, saved by two people at the same instant: one save wins, the other changes nothing and
is told who changed what (core/editing.py: one conditional UPDATE on the row's version). Real
concurrency: two threads, two test clients, one database; the threads meet at a barrier once their form
is validated, which is where the old code compared its fingerprint, so both go on to write together.
And a form posted without its version is refused, not saved blind."""

import threading

import pytest

from core import editing
from core.audit import AuditEntry
from core.catalogue.models import Category, FilingStandard
from core.db import db
from core.org import Department, Permission, Role, RolePermission, User
from plugins.zombie_cars import service
from plugins.zombie_cars.models import Vehicle
from tests.support import client_for, create_user, form_version, in_db
from tests.workorder_support import build_city


@pytest.fixture
def make_app(english_xiuhua_app):
    """These tests read the English messages."""
    return english_xiuhua_app


def audits(app, action) -> int:
    return in_db(app, lambda: AuditEntry.select().where(AuditEntry.action == action).count())


def at_once(monkeypatch, posts, meet=(editing.EditForm, "validate")):
    """Run the two posts in two threads that wait for each other just after `meet` (a method, or a
    model's classmethod) returned in both: from there they write at the same instant. Returns both responses."""
    owner, name = meet
    original = getattr(owner, name)
    barrier = threading.Barrier(2, timeout=30)

    def meeting(*args, **kwargs):
        result = original(*args, **kwargs)
        if threading.current_thread().name.startswith("save-"):
            barrier.wait()
        return result

    monkeypatch.setattr(owner, name, meeting)  # on a model class: its bound classmethod, called unbound
    answers = [None, None]

    def run(n):
        try:
            answers[n] = posts[n]()
        finally:
            db.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(n,), name=f"save-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not barrier.broken, "the two saves did not meet"
    return answers


def one_won(answers, names, success=302) -> int:
    """Exactly one save succeeded; the other got 409 naming the winner. Returns the winner's index."""
    codes = [answer.status_code for answer in answers]
    assert sorted(codes) == sorted([success, 409]), codes
    winner = codes.index(success)
    refusal = answers[1 - winner].get_data(as_text=True)
    assert f"({names[winner]}) changed this record" in refusal, refusal
    assert "Nothing of yours was saved" in refusal
    return winner


@pytest.fixture
def admins(app, users):
    second = create_user("admin2", "admin", users["admin"].department_id)
    return {"admin": users["admin"], "admin2": second}


NAMES = ["admin", "admin2"]


def test_two_saves_of_a_department_at_once(app, admins, monkeypatch):
    dept = in_db(app, lambda: Department.create(name="环卫处", code="sanit", type="professional"))
    url = f"/admin/departments/{dept.id}"
    clients = [client_for(app, name) for name in NAMES]
    versions = [form_version(c, url) for c in clients]
    wanted = ["第一位的名字", "第二位的名字"]

    def post(n):
        data = {"name": wanted[n], "code": "sanit", "type": "professional", "parent": "0", "sort": "0"}
        return lambda: clients[n].post(url, data={**data, "version": versions[n]})

    winner = one_won(at_once(monkeypatch, [post(0), post(1)]), NAMES)
    assert in_db(app, lambda: Department.get_by_id(dept.id).name) == wanted[winner]
    assert audits(app, "department.update") == 1


def test_two_saves_of_a_user_at_once(app, admins, users, monkeypatch):
    target = users["collector"]
    url = f"/admin/users/{target.id}"
    role_ids = in_db(app, lambda: [str(r.id) for r in User.get_by_id(target.id).roles()])
    clients = [client_for(app, name) for name in NAMES]
    versions = [form_version(c, url) for c in clients]
    wanted = ["一号改的", "二号改的"]

    def post(n):
        data = {"username": "collector", "name": wanted[n], "department": str(target.department_id)}
        data.update(roles=role_ids, language="zh_CN", active="y", version=versions[n])
        return lambda: clients[n].post(url, data=data)

    winner = one_won(at_once(monkeypatch, [post(0), post(1)]), NAMES)
    assert in_db(app, lambda: User.get_by_id(target.id).name) == wanted[winner]
    assert audits(app, "user.update") == 1


def test_two_saves_of_a_category_at_once(app, monkeypatch):
    city = build_city()
    create_user("admin2", "admin")
    url = f"/catalogue/{city.category.id}"
    clients = [client_for(app, name) for name in NAMES]
    versions = [form_version(c, url) for c in clients]
    wanted = [city.sanitation.id, city.landscaping.id]

    def post(n):
        data = {"default_department": str(wanted[n]), "active": "y", "version": versions[n]}
        return lambda: clients[n].post(f"{url}/edit", data=data)

    winner = one_won(at_once(monkeypatch, [post(0), post(1)]), NAMES)
    assert in_db(app, lambda: Category.get_by_id(city.category.id).default_department_id) == wanted[winner]
    assert audits(app, "catalogue.category.update") == 1


def test_two_saves_of_a_filing_standard_at_once(app, monkeypatch):
    city = build_city()
    create_user("admin2", "admin")
    url = f"/catalogue/standards/{city.standard.id}"
    clients = [client_for(app, name) for name in NAMES]
    versions = [form_version(c, url) for c in clients]
    wanted = ["2工作时", "8工作时"]

    def post(n):
        data = {"seq": "1", "filing_condition": "垃圾暴露", "limit_text": wanted[n], "active": "y"}
        return lambda: clients[n].post(url, data={**data, "version": versions[n]})

    winner = one_won(at_once(monkeypatch, [post(0), post(1)]), NAMES)
    assert in_db(app, lambda: FilingStandard.get_by_id(city.standard.id).limit_text) == wanted[winner]
    assert audits(app, "catalogue.standard.update") == 1


def test_two_saves_of_the_working_hours_at_once(app, admins, monkeypatch):
    clients = [client_for(app, name) for name in NAMES]
    versions = [form_version(c, "/admin/calendar") for c in clients]
    wanted = ["08:30-12:00, 14:30-18:00", "09:00-17:00"]

    def post(n):
        data = {"periods": wanted[n], "weekdays": ["1", "2", "3", "4", "5"], "version": versions[n]}
        return lambda: clients[n].post("/admin/calendar/hours", data=data)

    winner = one_won(at_once(monkeypatch, [post(0), post(1)]), NAMES)
    assert wanted[winner] in clients[0].get("/admin/calendar").get_data(as_text=True)
    assert audits(app, "calendar.hours") == 1


def test_two_saves_of_a_zombie_car_at_once(app, monkeypatch):
    city = build_city()
    names = ["shift_leader", "dispatcher"]
    vehicle = in_db(
        app,
        lambda: service.register(city.users["collector"], plate="湘F12345", address="洞庭路1号", grid=city.grid.id)[0],
    )
    url = f"/campaigns/zombie-cars/{vehicle.id}/edit"
    clients = [client_for(app, name) for name in names]
    versions = [form_version(c, url) for c in clients]
    wanted = ["红色", "蓝色"]

    def post(n):
        data = {"plate": "湘F12345", "vehicle_type": "car", "colour": wanted[n], "address": "洞庭路1号"}
        return lambda: clients[n].post(url, data={**data, "survey_round": "0", "version": versions[n]})

    winner = one_won(at_once(monkeypatch, [post(0), post(1)]), names, success=303)
    assert in_db(app, lambda: Vehicle.get_by_id(vehicle.id).colour) == wanted[winner]
    assert audits(app, "zombie_cars.edit") == 1


@pytest.mark.parametrize("granted", [True, False])
def test_two_clicks_on_one_permission_at_once(app, admins, monkeypatch, granted):
    role = in_db(app, lambda: Role.get(Role.code == "leader"))
    name = "admin.users"
    with app.app_context(), db.connection_context():
        RolePermission.delete().where((RolePermission.role == role) & (RolePermission.permission == name)).execute()
        if not granted:  # a revoke race: it is granted first
            RolePermission.create(role=role, permission=name)
    clients = [client_for(app, n) for n in NAMES]
    data = {"permission": name, **({"granted": "on"} if granted else {})}
    posts = [
        lambda c=c: c.post(f"/admin/roles/{role.id}/grant", data=data, headers={"HX-Request": "true"}) for c in clients
    ]
    answers = at_once(monkeypatch, posts, meet=(Permission, "get_or_none"))
    codes = [a.status_code for a in answers]
    assert sorted(codes) == [200, 409], codes
    winner = codes.index(200)
    note = answers[1 - winner].get_data(as_text=True)
    assert f"{NAMES[winner]} changed it at" in note and ("checked" in note) == granted
    linked = RolePermission.select().where((RolePermission.role == role) & (RolePermission.permission == name))
    assert in_db(app, linked.count) == (1 if granted else 0)
    assert audits(app, "role.grant" if granted else "role.revoke") == 1


def test_an_edit_without_its_version_is_refused(app, admins):
    dept = in_db(app, lambda: Department.create(name="环卫处", code="sanit", type="professional"))
    admin = client_for(app, "admin")
    data = {"name": "无版本", "code": "sanit", "type": "professional", "parent": "0", "sort": "0"}
    refused = admin.post(f"/admin/departments/{dept.id}", data=data)
    assert refused.status_code == 422
    assert "does not say which version" in refused.get_data(as_text=True)
    hours = admin.post("/admin/calendar/hours", data={"periods": "09:00-17:00", "weekdays": ["1"]})
    assert hours.status_code == 422
    assert in_db(app, lambda: Department.get_by_id(dept.id).name) == "环卫处"
    assert audits(app, "department.update") == 0 and audits(app, "calendar.hours") == 0


def test_after_a_refusal_saving_again_is_a_decision(app, admins):
    """The loser's entries are kept, the refusal says what the other changed, and the form now carries the
    current version: a second save puts the entries in place knowingly."""
    dept = in_db(app, lambda: Department.create(name="环卫处", code="sanit", type="professional", phone="1"))
    url = f"/admin/departments/{dept.id}"
    first, second = client_for(app, "admin"), client_for(app, "admin2")
    stale = form_version(second, url)
    base = {"name": "环卫处", "code": "sanit", "type": "professional", "parent": "0", "sort": "0"}
    assert first.post(url, data={**base, "phone": "0730-1", "version": form_version(first, url)}).status_code == 302
    refused = second.post(url, data={**base, "name": "环卫局", "phone": "1", "version": stale})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "1 → 0730-1" in page and 'value="环卫局"' in page
    fresh = page.split('id="version" name="version" type="hidden" value="')[1].split('"')[0]
    assert second.post(url, data={**base, "name": "环卫局", "phone": "1", "version": fresh}).status_code == 302
    assert in_db(app, lambda: Department.get_by_id(dept.id).name) == "环卫局"


def test_an_action_on_a_case_without_its_version_is_refused(app):
    from core.testcity import act, report
    from core.workorders.models import WorkOrder

    def filed_case():
        city = build_city()
        order = report(city)
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        return city, order.id

    city, order_id = in_db(app, filed_case)
    dispatcher = client_for(app, "dispatcher")
    department = str(city.sanitation.id)
    refused = dispatcher.post(f"/orders/{order_id}/act", data={"action": "dispatch", "department": department})
    assert refused.status_code == 422
    assert "does not say which version of the case" in refused.get_data(as_text=True)
    bulk = dispatcher.post("/orders/bulk-dispatch", data={"order": str(order_id), "department": department})
    assert bulk.status_code == 302
    assert in_db(app, lambda: WorkOrder.get_by_id(order_id).status) == "filed"  # neither dispatched it
    version = in_db(app, lambda: WorkOrder.get_by_id(order_id).version)
    data = {"action": "dispatch", "department": department, "version": str(version)}
    assert dispatcher.post(f"/orders/{order_id}/act", data=data).status_code == 302
    assert in_db(app, lambda: WorkOrder.get_by_id(order_id).status) == "dispatched"
