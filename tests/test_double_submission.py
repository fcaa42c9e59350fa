"""A report is saved once (core/workorders/submissions.py): the report and hotline forms carry a key made
when the form is shown; a repeat of a post that made its case (a retry on a poor connection, a second
tap), one after the other or at the same instant, returns that first case and stores nothing twice; a
post refused for an error does not use the key up; a key lives a day."""

import io
import re
import threading
from datetime import timedelta

import pytest

from core import photos
from core.attachments.models import Attachment
from core.db import db
from core.workorders import submissions
from core.workorders.models import SubmissionKey, WorkOrder
from tests.support import client_for, in_db
from tests.workorder_support import jpeg

KEY = re.compile(r'name="submission_key" value="([0-9a-f]{32})"')


@pytest.fixture
def make_app(english_xiuhua_app):
    """These tests read the English messages."""
    return english_xiuhua_app


def key_on(client, url) -> str:
    match = KEY.search(client.get(url).get_data(as_text=True))
    assert match, f"no submission key on {url}"
    return match.group(1)


def report_form(key, **changes):
    """The collector's report as the phone without JavaScript sends it: the photos go with the form."""
    data = {
        "submission_key": key,
        "category": "0101 暴露垃圾",
        "description": "垃圾桶满溢",
        "grid": "430602001001001 洞庭社区1号网格",
        "address": "洞庭路1号",
        "photos": [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg("blue")), "b.jpg")],
    }
    data.update(changes)
    return data


def post_report(client, key, **changes):
    return client.post("/orders/new", data=report_form(key, **changes), content_type="multipart/form-data")


def intake_form(key, **changes):
    data = {
        "submission_key": key,
        "source": "hotline",
        "caller_name": "王先生",
        "caller_phone": "13912345678",
        "category": "0101",
        "description": "路灯不亮",
        "grid": "430602001001001",
    }
    data.update(changes)
    return data


def counts(app):
    return in_db(app, lambda: (WorkOrder.select().count(), Attachment.select().count(), photos.Photo.select().count()))


def test_every_showing_of_the_form_has_its_own_key(app, city):
    collector = client_for(app, "collector")
    assert key_on(collector, "/orders/new") != key_on(collector, "/orders/new")
    intake = client_for(app, "intake")
    assert key_on(intake, "/orders/intake") != key_on(intake, "/orders/intake")


def test_a_repeated_report_returns_the_first_case_and_keeps_its_photos_once(app, city):
    collector = client_for(app, "collector")
    key = key_on(collector, "/orders/new")
    first = post_report(collector, key)
    assert first.status_code == 302
    assert counts(app) == (1, 2, 2)
    repeat = post_report(collector, key, description="垃圾桶满溢了")
    order = in_db(app, lambda: WorkOrder.get())
    assert repeat.status_code == 302 and repeat.headers["Location"] == first.headers["Location"]
    shown = collector.get(repeat.headers["Location"]).get_data(as_text=True)
    assert f"This report was already saved as case {order.number}." in shown
    assert counts(app) == (1, 2, 2)
    assert order.description == "垃圾桶满溢"  # the repeat changed nothing
    # A new showing of the form is a new report.
    assert post_report(collector, key_on(collector, "/orders/new")).status_code == 302
    assert counts(app)[0] == 2


def test_a_report_refused_for_an_error_does_not_use_its_key_up(app, city):
    collector = client_for(app, "collector")
    key = key_on(collector, "/orders/new")
    refused = post_report(collector, key, description="")
    assert refused.status_code == 422
    assert KEY.search(refused.get_data(as_text=True)).group(1) == key  # the form comes back with it
    assert counts(app)[0] == 0
    assert post_report(collector, key).status_code == 302
    assert counts(app)[0] == 1


def test_a_key_lives_one_day(app, city, frozen_clock):
    collector = client_for(app, "collector")
    key = key_on(collector, "/orders/new")
    assert post_report(collector, key).status_code == 302
    frozen_clock.advance(submissions.LIFE + timedelta(minutes=1))
    collector = client_for(app, "collector")  # the session itself timed out meanwhile
    assert post_report(collector, key).status_code == 302
    assert counts(app)[0] == 2
    assert in_db(app, lambda: SubmissionKey.select().count()) == 1  # the old one was forgotten


def test_someone_elses_key_makes_no_case_and_shows_none(app, city):
    collector, other = client_for(app, "collector"), client_for(app, "other_collector")
    key = key_on(collector, "/orders/new")
    assert post_report(collector, key).status_code == 302
    reused = post_report(other, key, grid="430602001002001 滨湖社区1号网格")
    assert reused.status_code == 409 and "already sent" in reused.get_data(as_text=True)
    assert counts(app)[0] == 1


def test_a_repeated_hotline_intake_shows_the_first_case(app, city):
    intake = client_for(app, "intake")
    key = key_on(intake, "/orders/intake")
    first = intake.post("/orders/intake", data=intake_form(key))
    assert first.status_code == 200
    order = in_db(app, lambda: WorkOrder.get())
    repeat = intake.post("/orders/intake", data=intake_form(key, caller_name="王先生（又一次）"))
    page = repeat.get_data(as_text=True)
    assert repeat.status_code == 200 and order.tracking_code in page
    assert f"This report was already saved as case {order.number}." in page
    assert counts(app)[0] == 1


def at_once(monkeypatch, posts):
    """Both posts past the look for an earlier case before either creates one."""
    barrier = threading.Barrier(2, timeout=30)
    original = submissions.first_case
    met = threading.local()

    def meeting(*args):
        found = original(*args)
        if threading.current_thread().name.startswith("post-") and not getattr(met, "done", False):
            met.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(submissions, "first_case", meeting)
    answers = [None, None]

    def run(n):
        try:
            answers[n] = posts[n]()
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(n,), name=f"post-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not barrier.broken, "the two posts did not meet"
    return answers


def test_two_identical_reports_at_once_make_one_case(app, city, monkeypatch):
    phones = [client_for(app, "collector"), client_for(app, "collector")]  # one phone's retry, or two taps
    key = key_on(phones[0], "/orders/new")
    answers = at_once(monkeypatch, [lambda p=p: post_report(p, key) for p in phones])
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert counts(app) == (1, 2, 2)
    assert in_db(app, lambda: SubmissionKey.select().count()) == 1


def test_two_identical_hotline_intakes_at_once_make_one_case(app, city, monkeypatch):
    operators = [client_for(app, "intake"), client_for(app, "intake")]
    key = key_on(operators[0], "/orders/intake")
    answers = at_once(monkeypatch, [lambda o=o: o.post("/orders/intake", data=intake_form(key)) for o in operators])
    assert [a.status_code for a in answers] == [200, 200]
    order = in_db(app, lambda: WorkOrder.get())  # exactly one
    assert all(order.tracking_code in a.get_data(as_text=True) for a in answers)
    assert sum("already saved as case" in a.get_data(as_text=True) for a in answers) == 1
