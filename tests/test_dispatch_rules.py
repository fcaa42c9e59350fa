"""The department suggested for a case (category × area, the census component's maintainer), kept apart
from the department it is dispatched to; the rules' page; dispatching ticked cases to their suggestions."""

import re

from core.areas import Area
from core.audit import AuditEntry
from core.catalogue.dispatch_rules import DispatchRule, suggest
from core.components.models import Component
from core.org import Department
from core.workorders.models import WorkOrder
from tests.support import client_for, csrf_token, in_db
from tests.workorder_support import act, other_category, report, to_dispatched


def street_office():
    return Department.create(name="岳阳楼街道城管办", code="street-office", type="street")


def area(code):
    return Area.get(Area.code == code)


def test_the_nearest_rule_wins_over_the_default_and_a_maintainer_over_both(app, city):
    def check():
        office = street_office()
        category, grid = city.category.id, city.grid.id
        assert suggest(category, grid) == city.sanitation.id  # the category's default
        DispatchRule.create(category=category, area=area("430602001"), department=office)  # the street
        assert suggest(category, grid) == office.id
        assert suggest(category, city.other_grid.id) == office.id  # another grid of the same street
        DispatchRule.create(category=category, area=area("430602001001"), department=city.landscaping)
        assert suggest(category, grid) == city.landscaping.id  # the community is nearer than the street
        assert suggest(category, city.other_grid.id) == office.id
        assert suggest(None, grid) is None
        cover = Component.create(
            code="4306020101000001", name="井盖", category=category, status="intact", longitude=113.13,
            latitude=29.37, grid=grid, maintainer=city.sanitation,
        )  # fmt: skip
        assert suggest(category, grid, cover) == city.sanitation.id

    in_db(app, check)


def test_a_new_case_is_only_suggested_for_a_department_which_sees_it_once_dispatched(app, city):
    order = in_db(app, lambda: report(city))
    assert (order.department_id, order.suggested_department_id) == (None, city.sanitation.id)
    handler = client_for(app, "handler")
    assert handler.get(f"/orders/{order.id}").status_code == 404
    assert str(order.id) not in re.findall(
        r'href="/orders/(\d+)"', handler.get("/orders/?box=open").get_data(as_text=True)
    )
    in_db(app, lambda: to_dispatched(city, order))
    assert handler.get(f"/orders/{order.id}").status_code == 200


def test_filing_under_another_category_takes_that_categorys_suggestion(app, city):
    def check():
        _category, standard = other_category(city)
        order = report(city)
        act(city, order, "file", "shift_leader", data={"standard": standard.id})
        return WorkOrder.get_by_id(order.id)

    filed = in_db(app, check)
    assert filed.suggested_department_id == city.landscaping.id and filed.department_id is None


def selected_department(html: str) -> str | None:
    form = html.split('name="department"', 1)[1].split("</select>", 1)[0]
    chosen = re.search(r'<option value="(\d+)" selected>', form)
    return chosen.group(1) if chosen else None


def test_the_dispatch_form_starts_from_the_suggestion_but_not_back_to_a_returning_department(app, city):
    def prepare():
        DispatchRule.create(category=city.category, area=area("430602001"), department=city.landscaping)
        order = report(city)
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        return order

    order = in_db(app, prepare)
    dispatcher = client_for(app, "dispatcher")
    page = dispatcher.get(f"/orders/{order.id}").get_data(as_text=True)
    assert selected_department(page) == str(city.landscaping.id)
    assert "园林处" in page.split('id="order-department"', 1)[1].split("</dd>", 1)[0]  # "suggested: 园林处"

    def dispatch_and_return():
        act(city, order, "dispatch", "dispatcher", data={"department": city.landscaping.id})
        act(city, order, "return", "other_handler", reason="不属于本单位职责")

    in_db(app, dispatch_and_return)
    assert selected_department(dispatcher.get(f"/orders/{order.id}").get_data(as_text=True)) is None


def test_ticked_cases_go_each_to_its_suggestion_and_a_case_without_one_is_named(app, city):
    def prepare():
        DispatchRule.create(category=city.category, area=area("430602001002"), department=city.landscaping)
        here, there = report(city), report(city, grid=city.other_grid)
        nowhere = report(city)
        WorkOrder.update(suggested_department=None).where(WorkOrder.id == nowhere.id).execute()
        for order in (here, there, nowhere):
            act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        return [WorkOrder.get_by_id(o.id) for o in (here, there, nowhere)]

    here, there, nowhere = in_db(app, prepare)
    dispatcher = client_for(app, "dispatcher")
    inbox = dispatcher.get("/orders/?box=to_dispatch").get_data(as_text=True)
    assert "→ 园林处" in inbox and "→ 环卫处" in inbox
    form = {"csrf_token": csrf_token(inbox), "to": "suggested", "order": [str(o.id) for o in (here, there, nowhere)]}
    form.update({f"v{o.id}": str(o.version) for o in (here, there, nowhere)})
    response = dispatcher.post("/orders/bulk-dispatch", data=form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert nowhere.number in page  # named among the refused
    after = in_db(app, lambda: {o.id: WorkOrder.get_by_id(o.id) for o in (here, there, nowhere)})
    assert after[here.id].department_id == city.sanitation.id and after[here.id].status == "dispatched"
    assert after[there.id].department_id == city.landscaping.id
    assert after[nowhere.id].status == "filed" and after[nowhere.id].department_id is None


def rules_page(client, category_id):
    return client.get(f"/catalogue/{category_id}").get_data(as_text=True)


def test_an_administrator_sets_changes_and_removes_a_rule_and_every_change_is_audited(app, city):
    admin = client_for(app, "admin")
    url = f"/catalogue/{city.category.id}/dispatch-rules"
    token = csrf_token(rules_page(admin, city.category.id))
    street = {"csrf_token": token, "area": "430602001 岳阳楼街道", "department": str(city.landscaping.id)}
    assert admin.post(url, data=street).status_code == 302
    assert "园林处" in rules_page(admin, city.category.id).split('id="dispatch-rules"', 1)[1].split("</section>")[0]
    assert admin.post(url, data=street).status_code == 302  # the same again: nothing changes
    assert admin.post(url, data={**street, "department": str(city.sanitation.id)}).status_code == 302
    rules = in_db(app, lambda: list(DispatchRule.select()))
    assert [(r.area.code, r.department_id) for r in in_db(app, lambda: list(DispatchRule.select()))] == [
        ("430602001", city.sanitation.id)
    ]
    rule_id = rules[0].id
    remove = f"{url}/{rule_id}/delete"
    assert admin.post(remove, data={"csrf_token": token}).status_code == 302
    again = admin.post(remove, data={"csrf_token": token}, follow_redirects=True)  # a double click
    assert again.status_code == 200 and in_db(app, lambda: DispatchRule.select().count()) == 0
    actions = in_db(app, lambda: [e.action for e in AuditEntry.select().order_by(AuditEntry.id)])
    assert actions.count("catalogue.dispatch_rule.set") == 2 and actions.count("catalogue.dispatch_rule.remove") == 1


def test_a_wrong_area_or_no_department_is_told_and_writes_nothing(app, city):
    admin = client_for(app, "admin")
    url = f"/catalogue/{city.category.id}/dispatch-rules"
    token = csrf_token(rules_page(admin, city.category.id))
    unknown = admin.post(url, data={"csrf_token": token, "area": "999", "department": str(city.landscaping.id)})
    assert unknown.status_code == 302
    assert "999" in admin.get(unknown.headers["Location"]).get_data(as_text=True)
    assert admin.post(url, data={"csrf_token": token, "area": "430602001", "department": "x"}).status_code == 302
    assert admin.post("/catalogue/424242/dispatch-rules", data={"csrf_token": token}).status_code == 404
    assert in_db(app, lambda: DispatchRule.select().count()) == 0


def test_only_catalogue_managers_change_rules_and_others_see_them_without_forms(app, city):
    in_db(app, lambda: DispatchRule.create(category=city.category, area=area("430602001"), department=city.landscaping))
    dispatcher = client_for(app, "dispatcher")
    section = rules_page(dispatcher, city.category.id).split('id="dispatch-rules"', 1)[1].split("</section>")[0]
    assert "园林处" in section and "<form" not in section
    url = f"/catalogue/{city.category.id}/dispatch-rules"
    assert dispatcher.post(url, data={"area": "430602001", "department": str(city.sanitation.id)}).status_code == 403
    assert client_for(app, "handler").get(f"/catalogue/{city.category.id}").status_code == 403
