"""Lockout (issue 19): a locked account is no password oracle, every attempt is counted, and parallel
guesses cannot get more than LOGIN_MAX_FAILURES passwords checked before the lock holds."""

import threading
from datetime import datetime, timedelta

import pytest
from flask_babel import gettext as _

from core import clock, org
from core.audit import AuditEntry
from core.db import db
from core.org import User
from tests.support import PASSWORD, form_errors, login

START = datetime(2026, 11, 27, 9, 0)


def stored(username) -> User:
    with db.connection_context():
        return User.get(User.username == username)


def lock(app, client, username="collector"):
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, username, "wrong")
    assert stored(username).is_locked()


@pytest.fixture
def hash_checks(monkeypatch):
    """The passwords whose hash was checked against a stored user's, in order."""
    checked = []
    real = org.check_password_hash

    def recording(pwhash, password):
        checked.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(org, "check_password_hash", recording)
    return checked


def test_a_locked_account_answers_the_same_whatever_the_password_and_checks_the_hash_both_times(
    app, client, users, hash_checks
):
    with clock.frozen(START):
        lock(app, client)
        hash_checks.clear()
        right = login(client, "collector", PASSWORD)
        wrong = login(client, "collector", "a-wrong-guess")
    # The same code path: the hash is checked for both (so the answer takes as long), one message.
    assert hash_checks == [PASSWORD, "a-wrong-guess"]
    assert right.status_code == wrong.status_code == 422
    assert form_errors(right) == form_errors(wrong)
    assert "锁定" in form_errors(right)[0]
    assert client.get("/").status_code == 302  # the right password did not log in


def test_a_disabled_account_checks_the_hash_and_answers_the_same_whatever_the_password(app, client, users, hash_checks):
    with db.connection_context():
        User.update(active=False).where(User.username == "collector").execute()
    right = login(client, "collector", PASSWORD)
    wrong = login(client, "collector", "a-wrong-guess")
    assert hash_checks == [PASSWORD, "a-wrong-guess"]
    assert form_errors(right) == form_errors(wrong)


def test_guesses_during_a_lock_are_counted_and_after_it_one_more_wrong_password_locks_again(app, client, users):
    limit = app.config["LOGIN_MAX_FAILURES"]
    with clock.frozen(START):
        lock(app, client)
        for _ in range(3):
            login(client, "collector", "guess")
        login(client, "collector", PASSWORD)  # counts too: while locked no password is right
        assert stored("collector").failed_logins == limit + 4
    after = START + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)
    with clock.frozen(after):
        assert not stored("collector").is_locked()
        response = login(client, "collector", "still-guessing")
        assert "锁定" in form_errors(response)[0]
        assert stored("collector").locked_until > after
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "user.locked").count() == 2


def test_a_right_password_after_the_lock_logs_in_and_clears_the_count(app, client, users):
    with clock.frozen(START):
        lock(app, client)
    with clock.frozen(START + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)):
        assert login(client, "collector", PASSWORD).status_code == 302
    user = stored("collector")
    assert user.failed_logins == 0 and user.locked_until is None


def test_the_right_password_on_the_last_allowed_attempt_still_logs_in(app, client, users):
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "collector", "wrong")
    assert login(client, "collector", PASSWORD).status_code == 302
    assert not stored("collector").is_locked()


def test_parallel_wrong_passwords_are_all_counted_and_the_lock_holds_at_the_configured_number(app, users):
    """24 threads post a wrong password at the same moment, each with its own client (and database
    connection) against one app on a database file: every attempt is counted, and exactly
    LOGIN_MAX_FAILURES of them were answered before the lock."""
    limit, guesses = app.config["LOGIN_MAX_FAILURES"], 24
    start = threading.Barrier(guesses)
    answers = []

    def guess(n):
        client = app.test_client()
        start.wait()
        try:
            answers.append(form_errors(login(client, "collector", f"wrong-{n}"))[0])
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == guesses
    user = stored("collector")
    assert user.failed_logins == guesses
    assert user.is_locked()
    with app.test_request_context():  # in the default language, as the answers are
        wrong = _("Wrong username or password.")
        locks_now = _("Too many failed logins: this account is locked for %(minutes)d minutes.", minutes=15)
    assert answers.count(wrong) == limit - 1
    assert answers.count(locks_now) == 1
    assert sum("锁定至" in answer for answer in answers) == guesses - limit
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "user.locked").count() == 1


def test_wrong_current_passwords_on_the_password_form_count_lock_the_account_and_are_audited(app, client, users):
    login(client, "collector")
    data = {"new": "brand-new-pass", "confirm": "brand-new-pass"}
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.post("/password", data={**data, "current": "wrong"}).status_code == 422
    assert stored("collector").is_locked()
    assert client.post("/password", data={**data, "current": PASSWORD}).status_code == 422  # locked: refused
    assert stored("collector").check_password(PASSWORD)
    with db.connection_context():
        failed = AuditEntry.select().where(AuditEntry.action == "user.password_failed").order_by(AuditEntry.id)
        reasons = [entry.after["reason"] for entry in failed]
        assert AuditEntry.select().where(AuditEntry.action == "user.locked").count() == 1
    assert reasons == ["wrong"] * (app.config["LOGIN_MAX_FAILURES"] - 1) + ["locked", "locked"]


def test_the_right_current_password_clears_the_count_without_touching_the_last_login(app, client, users):
    login(client, "collector")
    last_login = stored("collector").last_login_at
    client.post("/password", data={"current": "wrong", "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert stored("collector").failed_logins == 1
    with clock.frozen(START):
        response = client.post(
            "/password", data={"current": PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"}
        )
    assert response.status_code == 302
    user = stored("collector")
    assert (user.failed_logins, user.last_login_at) == (0, last_login)
