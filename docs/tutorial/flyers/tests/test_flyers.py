"""The flyer register, tested with the plugin test kit on a fresh database."""

from datetime import timedelta
from pathlib import Path

import pytest

pytest_plugins = ["core.testing"]

PLUGINS_DIR = Path(__file__).resolve().parents[2]  # the folder holding flyers/


@pytest.fixture
def app(xiuhua_app):
    return xiuhua_app(PLUGINS_DIR)


def test_a_collector_records_a_flyer_and_sees_it(login_as):
    client = login_as("collector")
    assert 'href="/flyers/"' in client.get("/").get_data(as_text=True)  # the menu item
    response = client.post("/flyers/new", data={"place": "Bus stop, Renmin Road", "phone": "138 0000-1234"})
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bus stop, Renmin Road" in detail and "13800001234" in detail
    assert "Bus stop, Renmin Road" in client.get("/flyers/").get_data(as_text=True)


def test_a_phone_number_with_letters_is_refused(login_as):
    response = login_as("collector").post("/flyers/new", data={"place": "Wall", "phone": "call-me"})
    assert response.status_code == 422


def test_leaders_see_the_register_but_record_nothing(login_as):
    client = login_as("leader")
    assert client.get("/flyers/").status_code == 200
    assert client.get("/flyers/new").status_code == 403


def test_removing_twice_removes_once(login_as):
    client = login_as("collector")
    location = client.post("/flyers/new", data={"place": "Lamp post"}).headers["Location"]
    assert client.post(f"{location}/removed").status_code == 302
    assert client.post(f"{location}/removed").status_code == 302
    assert f'action="{location}/removed"' not in client.get(location).get_data(as_text=True)


def test_the_job_lists_numbers_found_on_three_flyers_within_thirty_days(login_as, frozen_clock, run_job):
    client = login_as("collector")
    client.post("/flyers/new", data={"place": "Old wall", "phone": "13900000000"})
    frozen_clock.advance(days=31)  # that flyer is now outside the window
    client = login_as("collector")  # 31 days idle: the session has expired
    for place in ("Gate", "Bridge", "Market"):
        client.post("/flyers/new", data={"place": place, "phone": "13800001234"})
    for place in ("School", "Park"):
        client.post("/flyers/new", data={"place": place, "phone": "13900000000"})
    run = run_job("flyers.repeat_numbers")
    assert (run.outcome, run.summary) == ("success", "numbers on 3+ flyers in 30 days: 1, 13800001234 (3 flyers)")
    assert "13800001234: 3" in client.get("/flyers/").get_data(as_text=True)
    frozen_clock.advance(timedelta(days=31))
    assert run_job("flyers.repeat_numbers").summary == "numbers on 3+ flyers in 30 days: 0"


def test_the_category_is_in_every_catalogue_edition(app, in_db):
    from core.api import Category

    names = in_db(app, lambda: [c.name for c in Category.select().where(Category.code == "9101")])
    assert names == ["小广告", "小广告"]  # one in each edition
