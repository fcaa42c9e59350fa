"""Throttling per client address (issue 19, core/throttle.py): on /login, counted in the database so
that every process shares it, configurable, and off for loopback only where THROTTLE_EXEMPT_LOOPBACK
(the test kit's setting) says so; these tests turn it on."""

from datetime import datetime, timedelta

import pytest

from core import clock, config, throttle
from core.db import db
from core.org import User
from core.throttle import ThrottleHit
from tests.support import PASSWORD, form_errors, login

START = datetime(2026, 11, 27, 9, 0)
THROTTLED = {"THROTTLE_EXEMPT_LOOPBACK": False, "LOGIN_THROTTLE_ATTEMPTS": 3, "LOGIN_THROTTLE_MINUTES": 10}


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def failed_logins(username) -> int:
    with db.connection_context():
        return User.get(User.username == username).failed_logins


def test_login_attempts_over_the_limit_from_one_address_are_refused_without_checking_the_password(make_app, users):
    app = make_app(**THROTTLED)
    client = app.test_client()  # 127.0.0.1, not exempt here
    with clock.frozen(START):
        for _attempt in range(3):
            assert login(client, "nobody", "guess").status_code == 422
        response = login(client, "dispatcher", PASSWORD)
        assert response.status_code == 429
        assert "10" in form_errors(response)[0]  # minutes to wait
        assert client.get("/").status_code == 302  # the right password did not log in
        assert failed_logins("dispatcher") == 0  # nor was it looked at
        # Another address is not affected.
        assert login(from_address(app, "10.0.0.7"), "dispatcher").status_code == 302
    with clock.frozen(START + timedelta(minutes=10)):  # the next window
        assert login(client, "dispatcher").status_code == 302


def test_refused_attempts_count_too(make_app, users):
    app = make_app(**THROTTLED)
    client = from_address(app, "10.0.0.8")
    with clock.frozen(START):
        for _attempt in range(6):
            login(client, "nobody", "guess")
    with db.connection_context():
        assert ThrottleHit.get(ThrottleHit.address == "10.0.0.8").hits == 6


def test_the_count_is_shared_by_every_process_on_the_database(make_app, users):
    first, second = make_app(**THROTTLED), make_app(**THROTTLED)  # two workers, one database
    with clock.frozen(START):
        login(from_address(first, "10.0.0.9"), "nobody", "guess")
        login(from_address(second, "10.0.0.9"), "nobody", "guess")
        login(from_address(first, "10.0.0.9"), "nobody", "guess")
        assert login(from_address(second, "10.0.0.9"), "dispatcher").status_code == 429


def test_a_limit_of_0_turns_the_login_throttle_off(make_app, users):
    app = make_app(**{**THROTTLED, "LOGIN_THROTTLE_ATTEMPTS": 0})
    client = app.test_client()
    for _attempt in range(5):
        login(client, "nobody", "guess")
    assert login(client, "dispatcher").status_code == 302


def test_loopback_is_exempt_only_where_the_setting_says_so(make_app, users):
    for exempt, expected in ((True, True), (False, False)):
        app = make_app(**{**THROTTLED, "THROTTLE_EXEMPT_LOOPBACK": exempt})
        with app.test_request_context(), clock.frozen(START):
            scope = f"test-{exempt}"
            for address in ("127.0.0.1", "::1"):
                results = [throttle.allow(scope, 1, 10, address) for _hit in range(3)]
                assert all(results) is expected
            assert throttle.allow(scope, 1, 10, "10.0.0.1") and not throttle.allow(scope, 1, 10, "10.0.0.1")


def test_production_refuses_the_loopback_exemption(tmp_path):
    from flask import Flask

    app = Flask("t", instance_path=str(tmp_path))
    overrides = {"ENV": "production", "SECRET_KEY": "x" * 40, "THROTTLE_EXEMPT_LOOPBACK": True}
    with pytest.raises(RuntimeError, match="THROTTLE_EXEMPT_LOOPBACK"):
        config.load(app, overrides)


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(make_app, users):
    app = make_app(**THROTTLED, REVERSE_PROXIES=1)
    proxy = from_address(app, "127.0.0.1")
    with clock.frozen(START):
        for _attempt in range(3):
            proxy.post("/login", data={"username": "x", "password": "y"}, headers={"X-Forwarded-For": "10.1.1.1"})
        response = proxy.post(
            "/login", data={"username": "dispatcher", "password": PASSWORD}, headers={"X-Forwarded-For": "10.1.1.1"}
        )
        assert response.status_code == 429
        response = proxy.post(
            "/login", data={"username": "dispatcher", "password": PASSWORD}, headers={"X-Forwarded-For": "10.1.1.2"}
        )
        assert response.status_code == 302


def test_without_trusted_proxies_a_forwarded_address_is_ignored(make_app, users):
    app = make_app(**THROTTLED)
    client = from_address(app, "10.0.0.5")
    with clock.frozen(START):
        for n in range(3):  # a client cannot escape the throttle by making up addresses
            client.post("/login", data={"username": "x", "password": "y"}, headers={"X-Forwarded-For": f"10.9.9.{n}"})
        assert login(client, "dispatcher").status_code == 429


def test_windows_start_on_multiples_of_their_length_and_old_ones_are_deleted(make_app):
    assert throttle.window_start(datetime(2026, 1, 1, 9, 17, 5), 10) == datetime(2026, 1, 1, 9, 10)
    assert throttle.window_start(datetime(2026, 1, 1, 0, 0), 10) == datetime(2026, 1, 1, 0, 0)
    app = make_app(**THROTTLED)
    with app.test_request_context():
        with clock.frozen(START):
            throttle.allow("test", 5, 10, "10.0.0.1")
        with clock.frozen(START + timedelta(minutes=25)):
            throttle.allow("test", 5, 10, "10.0.0.2")
            assert [hit.address for hit in ThrottleHit.select()] == ["10.0.0.2"]


def change_password(client, current):
    return client.post("/password", data={"current": current, "new": "brand-new-pass", "confirm": "brand-new-pass"})


def test_current_passwords_typed_on_the_password_form_share_the_logins_budget_and_are_refused_beyond_it(
    make_app, users
):
    app = make_app(**THROTTLED, LOGIN_MAX_FAILURES=100)  # the address's budget runs out long before the lock
    client = from_address(app, "10.0.0.20")
    with clock.frozen(START):
        assert login(client, "dispatcher").status_code == 302  # the budget's first attempt
        for _attempt in range(2):
            assert change_password(client, "guess").status_code == 422
        response = change_password(client, PASSWORD)  # the right one, over the budget
        assert response.status_code == 429
        assert "10" in form_errors(response)[0]  # minutes to wait
    with db.connection_context():
        assert User.get(User.username == "dispatcher").check_password(PASSWORD)  # not changed
    with clock.frozen(START + timedelta(minutes=10)):  # the next window
        assert change_password(client, PASSWORD).status_code == 302
