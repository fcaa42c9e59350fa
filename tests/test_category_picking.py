"""Every category of both catalogue editions can be chosen, and keeps its kind, code and name: in the
collector's report form, in hotline intake and through "choose another category" on the case page. A
component and an event share many codes (2013 "0410" is 喷泉 and 非机动车乱停放), so the forms post the
category's id; without JavaScript the text "code name" still tells them apart, and a bare shared code is
refused with a message rather than taken for either."""

import io
import re

import pytest

from core.catalogue.importer import import_file
from core.catalogue.models import Category, FilingStandard
from core.db import db
from core.workorders.models import WorkOrder
from tests.support import CATALOGUE_FILES as FILES
from tests.support import client_for
from tests.workorder_support import build_city, jpeg

GRID = "430602001001001 洞庭社区1号网格"


def picked_app(make_app, edition):
    app = make_app(CATALOGUE_EDITION=edition)
    build_city()
    with app.app_context(), db.connection_context():
        import_file(FILES[edition], FILES[edition].name)
    return app


def categories(app, edition) -> list[Category]:
    with app.app_context(), db.connection_context():
        return list(Category.select().where((Category.edition == edition) & (Category.active == True)))  # noqa: E712


def saved(app, number_or_id) -> tuple[str, str, str]:
    with app.app_context(), db.connection_context():
        order = WorkOrder.get_by_id(number_or_id)
        return order.category.kind, order.category.code, order.category.name


def shared_codes(cats) -> set[str]:
    kinds: dict[str, set] = {}
    for c in cats:
        kinds.setdefault(c.code, set()).add(c.kind)
    return {code for code, k in kinds.items() if len(k) == 2}


def upload(client) -> str:
    response = client.post(
        "/orders/photos", data={"photo": (io.BytesIO(jpeg()), "p.jpg")}, content_type="multipart/form-data"
    )
    return re.search(r'name="photo_ids" value="(\d+)"', response.get_data(as_text=True))[1]


@pytest.mark.parametrize("edition,expected", [("2013", 165), ("2026", 404)])
def test_every_category_of_the_edition_is_saved_as_chosen_in_both_forms(make_app, edition, expected):
    """Every category through the report form; through hotline intake (the same picker) every category whose
    code another kind shares, and every fifth of the others: a sample that keeps the run short."""
    app = picked_app(make_app, edition)
    cats = categories(app, edition)
    assert len(cats) == expected  # the national/city catalogue and the zombie-car campaign's category
    collector, intake = client_for(app, "collector"), client_for(app, "intake")
    photo = upload(collector)
    shared = shared_codes(cats)
    assert len(shared) >= (40 if edition == "2013" else 150)
    for index, c in enumerate(cats):
        text = f"{c.code} {c.name}"
        forms = [{"category": text, "category_id": str(c.id)}]  # what the picker posts
        if c.code in shared:
            forms.append({"category": text})  # without JavaScript
        for form in forms:
            response = collector.post(
                "/orders/new", data={**form, "description": "问题", "grid": GRID, "photo_ids": photo}
            )
            assert response.status_code == 302, (text, response.get_data(as_text=True)[-400:])
            order_id = int(response.headers["Location"].rsplit("/", 1)[1])
            assert saved(app, order_id) == (c.kind, c.code, c.name), form
        if c.code not in shared and index % 5:
            continue
        response = intake.post(
            "/orders/intake",
            data={"category": text, "category_id": str(c.id), "description": "来电", "caller_phone": "1", "grid": GRID},
        )
        assert response.status_code == 200, text
        with app.app_context(), db.connection_context():
            newest = WorkOrder.select().order_by(WorkOrder.id.desc()).get()
        assert saved(app, newest.id) == (c.kind, c.code, c.name)


def test_a_bare_shared_code_is_refused_with_a_message_and_a_stale_id_loses_to_the_text(make_app):
    app = picked_app(make_app, "2013")
    collector = client_for(app, "collector")
    photo = upload(collector)
    base = {"description": "问题", "grid": GRID, "photo_ids": photo}
    response = collector.post("/orders/new", data={**base, "category": "0410"})
    assert response.status_code == 422
    assert "0410 既是部件代码又是事件代码" in response.get_data(as_text=True)  # the message, in Chinese
    with app.app_context(), db.connection_context():
        fountain = Category.get(edition="2013", kind="component", code="0410")
        assert WorkOrder.select().count() == 0
    # the id of the component, left from an earlier pick, with the event's text typed over it
    response = collector.post(
        "/orders/new", data={**base, "category": "0410 非机动车乱停放", "category_id": str(fountain.id)}
    )
    assert response.status_code == 302
    assert saved(app, int(response.headers["Location"].rsplit("/", 1)[1])) == ("event", "0410", "非机动车乱停放")


def test_another_category_chosen_on_the_case_page_keeps_its_kind(make_app):
    app = picked_app(make_app, "2013")
    cats = categories(app, "2013")
    shared = shared_codes(cats)
    sample = [c for c in cats if c.code in shared]
    collector, leader = client_for(app, "collector"), client_for(app, "shift_leader")
    photo = upload(collector)
    first = next(c for c in cats if c.code not in shared)
    for c in sample:
        response = collector.post(
            "/orders/new", data={"category_id": first.id, "description": "问题", "grid": GRID, "photo_ids": photo}
        )
        order_id = int(response.headers["Location"].rsplit("/", 1)[1])
        with app.app_context(), db.connection_context():
            own = {s.id for s in FilingStandard.select().where(FilingStandard.category == c.id)}
            version = WorkOrder.get_by_id(order_id).version
        for args in ({"category": f"{c.code} {c.name}", "category_id": c.id}, {"category": f"{c.code} {c.name}"}):
            html = leader.get(f"/orders/{order_id}/standards", query_string=args).get_data(as_text=True)
            offered = {int(n) for n in re.findall(r'name="standard" value="(\d+)"', html)}
            assert offered and offered <= own, (c.kind, c.code, c.name)
        response = leader.post(
            f"/orders/{order_id}/act", data={"action": "file", "version": version, "standard": min(offered)}
        )
        assert response.status_code == 302
        assert saved(app, order_id) == (c.kind, c.code, c.name)
