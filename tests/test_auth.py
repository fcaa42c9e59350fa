"""Login, lockout, logout, password change, idle timeout, CSRF and security headers."""

from datetime import datetime, timedelta

from core import clock
from core.audit import AuditEntry
from core.db import db
from core.org import User
from tests.support import PASSWORD, create_user, csrf_token, form_errors, login


def test_login_with_right_password_reaches_home(client, users):
    response = login(client, "dispatcher")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_says_so_and_stays_on_login(client, users):
    response = login(client, "dispatcher", "not-the-password")
    assert response.status_code == 422
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message_as_wrong_password(client, users):
    response = login(client, "nobody-here", "whatever")
    assert response.status_code == 422
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_english_user_reads_messages_in_english(client, users):
    client.post("/lang", data={"lang": "en"})
    response = login(client, "dispatcher", "wrong")
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_repeated_failures_lock_the_account_until_an_admin_unlocks_it(app, client, users, as_role):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert login(client, "collector", "wrong").status_code == 422
    response = login(client, "collector", "wrong")
    assert "锁定" in response.get_data(as_text=True)
    # While locked, the right password and a wrong one get the same refusal (tests/test_lockout.py).
    right = login(client, "collector", PASSWORD)
    wrong = login(client, "collector", "wrong again")
    assert right.status_code == wrong.status_code == 422
    assert "锁定" in right.get_data(as_text=True)
    assert form_errors(right) == form_errors(wrong)
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "user.locked").count() == 1

    admin = as_role("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "解锁" in page
    response = admin.post(f"/admin/users/{users['collector'].id}/unlock")
    assert response.status_code == 302
    assert login(client, "collector", PASSWORD).status_code == 302
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "user.unlock").count() == 1


def test_wrong_passwords_on_a_disabled_account_are_not_counted(app, client, users):
    create_user("gone", "collector", active=False)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        login(client, "gone", "wrong")
    with db.connection_context():
        assert User.get(User.username == "gone").locked_until is None
        assert not AuditEntry.select().where(AuditEntry.action == "user.locked").exists()


def test_lock_expires_by_itself(app, client, users):
    start = datetime(2026, 11, 27, 9, 0)
    with clock.frozen(start):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            login(client, "collector", "wrong")
        assert login(client, "collector", PASSWORD).status_code == 422
    with clock.frozen(start + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)):
        assert login(client, "collector", PASSWORD).status_code == 302


def test_disabled_user_cannot_log_in_and_gets_one_answer_whatever_the_password(client, users):
    create_user("gone", "collector", active=False)
    response = login(client, "gone")
    assert response.status_code == 422
    assert "停用" in response.get_data(as_text=True)
    assert form_errors(login(client, "gone", "wrong")) == form_errors(response)


def test_idle_session_expires_with_a_clear_message(client, users):
    start = datetime(2026, 11, 27, 9, 0)
    with clock.frozen(start):
        login(client, "dispatcher")
        assert client.get("/").status_code == 200
    with clock.frozen(start + timedelta(minutes=31)):
        response = client.get("/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "过期" in page and "重新登录" in page
        # The session is gone: the next request is anonymous too.
        assert client.get("/").status_code == 302


def test_activity_keeps_the_session_alive(client, users):
    start = datetime(2026, 11, 27, 9, 0)
    with clock.frozen(start):
        login(client, "dispatcher")
    for minutes in (20, 40, 60):
        with clock.frozen(start + timedelta(minutes=minutes)):
            assert client.get("/").status_code == 200


def test_the_session_cookie_is_resent_only_when_the_activity_mark_moves(client, users):
    start = datetime(2026, 11, 27, 9, 0)
    with clock.frozen(start):
        login(client, "dispatcher")
        client.get("/")  # the first page puts the CSRF token in the session
    with clock.frozen(start + timedelta(seconds=30)):
        assert "Set-Cookie" not in client.get("/").headers
    with clock.frozen(start + timedelta(seconds=90)):
        assert "session=" in client.get("/").headers["Set-Cookie"]
    with clock.frozen(start + timedelta(seconds=90 + 60 * 29)):  # 30.5 minutes after login, 29 after the mark
        assert client.get("/").status_code == 200


def test_expired_session_on_an_htmx_request_redirects_the_whole_page(client, users):
    start = datetime(2026, 11, 27, 9, 0)
    with clock.frozen(start):
        login(client, "admin")
    with clock.frozen(start + timedelta(hours=2)):
        response = client.get("/admin/users?q=a", headers={"HX-Request": "true", "HX-Target": "user-rows"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


def test_logout_needs_post_and_ends_the_session(client, users):
    login(client, "dispatcher")
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_change_password(client, users):
    login(client, "dispatcher")
    response = client.post("/password", data={"current": "wrong", "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.status_code == 422 and "当前密码不正确" in response.get_data(as_text=True)
    response = client.post("/password", data={"current": PASSWORD, "new": "short", "confirm": "short"})
    assert response.status_code == 422
    response = client.post(
        "/password", data={"current": PASSWORD, "new": "brand-new-pass", "confirm": "different-pass"}
    )
    assert response.status_code == 422
    response = client.post(
        "/password", data={"current": PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"}
    )
    assert response.status_code == 302
    client.post("/logout")
    assert login(client, "dispatcher", PASSWORD).status_code == 422
    assert login(client, "dispatcher", "brand-new-pass").status_code == 302


def test_passwords_are_stored_hashed(app, users):
    with db.connection_context():
        stored = User.get(User.username == "dispatcher").password_hash
    assert PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_next_parameter_cannot_send_the_user_off_site(client, users):
    response = client.post("/login?next=//evil.example/", data={"username": "dispatcher", "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/password", data={"username": "dispatcher", "password": PASSWORD})
    assert response.headers["Location"] == "/password"


def test_form_without_csrf_token_is_refused_and_changes_nothing(csrf_app, users):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_form_with_csrf_token_is_accepted(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_htmx_request_without_csrf_header_gets_a_message_in_the_message_area(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    response = client.post("/admin/roles/1/grant", data={"permission": "admin.audit"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#messages"
    assert "表单已过期" in response.get_data(as_text=True)


def test_htmx_request_with_csrf_header_is_accepted(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client.get("/").get_data(as_text=True))  # logging in starts a new session and token
    response = client.post(
        "/admin/roles/1/grant",
        data={"permission": "admin.audit"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_security_headers_on_every_page(client, users):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
