"""Saved filters of the case list (issue 11): a user saves the list's filter and sort under a name, finds
it above the inbox, opens and deletes it; no one sees or deletes another's; bad and old query strings."""

import pytest

from core.db import db
from core.workorders.models import SavedFilter
from core.workorders.views.filters import MAX_PER_USER, clean_query, link
from tests.support import client_for, in_db
from tests.workorder_support import build_city

HTMX = {"HX-Request": "true", "HX-Target": "saved-filters"}


@pytest.fixture
def city(english_app):
    return build_city()


def saved(app, username):
    return in_db(
        app,
        lambda: [
            (s.name, s.query)
            for s in SavedFilter.select()
            .join_from(SavedFilter, SavedFilter.user.rel_model)
            .where(SavedFilter.user.rel_model.username == username)
        ],
    )


def test_save_list_open_and_delete_a_filter(english_app, city):
    app = english_app
    dispatcher = client_for(app, "dispatcher")
    form = {"name": "  Hotline   to dispatch ", "box": "to_dispatch", "source": "hotline", "sort": "-elapsed", "q": ""}
    response = dispatcher.post("/orders/filters", data={**form, "page": "3", "other": "x"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/orders/?box=to_dispatch&source=hotline&sort=-elapsed"
    assert saved(app, "dispatcher") == [("Hotline to dispatch", "box=to_dispatch&source=hotline&sort=-elapsed")]
    html = dispatcher.get("/orders/?box=to_dispatch&source=hotline&sort=-elapsed").get_data(as_text=True)
    assert (
        'href="/orders/?box=to_dispatch&amp;source=hotline&amp;sort=-elapsed" aria-current="true">Hotline to dispatch</a>'
        in html
    )
    # the same name again: the filter it names is replaced, not doubled
    dispatcher.post("/orders/filters", data={"name": "Hotline to dispatch", "box": "all"})
    assert saved(app, "dispatcher") == [("Hotline to dispatch", "box=all")]
    # htmx: the list comes back with a note
    response = dispatcher.post("/orders/filters", data={"name": "Red", "box": "all", "sort": "light"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="saved-filters"' in html and "Filter “Red” saved." in html
    assert ">Red</a>" in html and ">Hotline to dispatch</a>" in html
    red = in_db(app, lambda: SavedFilter.get(SavedFilter.name == "Red").id)
    response = dispatcher.post(f"/orders/filters/{red}/delete", headers=HTMX)
    assert response.status_code == 200 and "Filter “Red” deleted." in response.get_data(as_text=True)
    assert saved(app, "dispatcher") == [("Hotline to dispatch", "box=all")]


def test_one_user_never_sees_or_deletes_anothers(english_app, city):
    app = english_app
    dispatcher, handler = client_for(app, "dispatcher"), client_for(app, "handler")
    dispatcher.post("/orders/filters", data={"name": "Secret list", "box": "all"})
    mine = in_db(app, lambda: SavedFilter.get().id)
    assert "Secret list" not in handler.get("/orders/").get_data(as_text=True)
    assert handler.post(f"/orders/filters/{mine}/delete").status_code == 404
    assert handler.post("/orders/filters/999999/delete").status_code == 404
    assert saved(app, "dispatcher") == [("Secret list", "box=all")]
    assert "Secret list" in dispatcher.get("/orders/").get_data(as_text=True)


@pytest.mark.parametrize(
    "name, message",
    [("", "Give the filter a name."), ("   ", "Give the filter a name."), ("x" * 61, "at most 60 characters")],
)
def test_a_bad_name_is_refused_with_a_message(english_app, city, name, message):
    dispatcher = client_for(english_app, "dispatcher")
    response = dispatcher.post("/orders/filters", data={"name": name, "box": "all"})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert saved(english_app, "dispatcher") == []


def test_a_user_keeps_at_most_so_many_filters(english_app, city):
    dispatcher = client_for(english_app, "dispatcher")
    for i in range(MAX_PER_USER):
        assert dispatcher.post("/orders/filters", data={"name": f"f{i}", "box": "all"}).status_code == 302
    response = dispatcher.post("/orders/filters", data={"name": "one more", "box": "all"})
    assert response.status_code == 400 and "delete one first" in response.get_data(as_text=True)
    assert (
        dispatcher.post("/orders/filters", data={"name": "f3", "box": "open"}).status_code == 302
    )  # replacing is fine


def test_old_and_bad_query_strings_are_read_through_the_lists_checks(english_app, city):
    """A stored query from an older version or written to the database by hand: its unknown parameters
    are dropped, its unknown values ignored by the list, and the page still answers."""
    app = english_app
    with app.test_request_context(), db.connection_context():
        user = city.users["dispatcher"]
        for name, query in [
            ("old", "box=retired_box&status=gone&sort=by_colour&legacy=1&page=9"),
            ("garbage", "%%%&&==&box"),
            ("long", "q=" + "井" * 900),
            ("empty", ""),
        ]:
            SavedFilter.create(user=user, name=name, query=query)
        links = {s.name: link(s) for s in SavedFilter.select()}
    assert links["old"] == "/orders/?box=retired_box&status=gone&sort=by_colour"
    assert links["empty"] == "/orders/" and links["garbage"] == "/orders/"
    assert len(links["long"]) < 2000
    dispatcher = client_for(app, "dispatcher")
    for href in links.values():
        response = dispatcher.get(href)
        assert response.status_code == 200, href
    assert dispatcher.get("/orders/").status_code == 200


def test_clean_query_keeps_the_lists_parameters_only():
    assert clean_query([("box", "all"), ("q", " 井盖 "), ("page", "2"), ("csrf_token", "t"), ("q", "second")]) == (
        "box=all&q=%E4%BA%95%E7%9B%96"
    )
    assert clean_query([("status", ""), ("sort", "x\x01y")]) == "sort=xy"
