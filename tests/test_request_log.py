"""Issue 16: one JSON line per request on the logger xiuhua.requests: time, method, path without the query
string, status, duration, user id or null, client address. Static files are not logged."""

import json
import logging

import pytest

LOGGER = "xiuhua.requests"


def lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == LOGGER]


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    return caplog


def test_a_logged_in_request_is_one_json_line(app, users, login_as, log):
    client = login_as("dispatcher")
    log.clear()
    client.get("/?q=secret-search-term")
    (line,) = lines(log)
    assert set(line) == {"time", "method", "path", "status", "duration_ms", "user", "remote"}
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["user"] == users["dispatcher"].id
    assert line["remote"] == "127.0.0.1"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("Z")
    assert "secret-search-term" not in log.text


def test_an_anonymous_request_and_an_error_are_logged_with_their_status(app, log):
    client = app.test_client()
    client.get("/")
    client.post("/healthz")
    client.get("/no/such/page")
    assert [(line["path"], line["status"], line["user"]) for line in lines(log)] == [
        ("/", 302, None),
        ("/healthz", 405, None),
        ("/no/such/page", 404, None),
    ]


def test_static_files_are_not_logged(app, log):
    response = app.test_client().get("/static/css/app.css")
    assert response.status_code == 200
    assert lines(log) == []


def test_the_log_can_be_turned_off(make_app, log):
    app = make_app(REQUEST_LOG=False)
    app.test_client().get("/healthz")
    assert lines(log) == []
