"""Sessions end on the server's word (issue 19): a copied cookie dies with logout; logging out
everywhere, a password change, and an administrator disabling a user, changing their roles or resetting
their password end the user's other sessions; no login lasts longer than SESSION_MAX_HOURS."""

from datetime import datetime, timedelta

from core import clock
from core.audit import AuditEntry
from core.db import db
from core.org import Role, User
from tests.support import PASSWORD, form_version, login

START = datetime(2026, 11, 27, 9, 0)


def english_login(app, username, password=PASSWORD):
    """A client logged in as `username`, whose chosen language is English (kept when a session ends)."""
    with app.app_context(), db.connection_context():
        User.update(language="en").where(User.username == username).execute()
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    return client


def copy_of(client, app):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def refused(client) -> str:
    """Assert the client's session is over; return the message the login page shows."""
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_cookie_copied_before_logout_is_refused_after_it(app, users):
    client = english_login(app, "dispatcher")
    thief = copy_of(client, app)
    assert thief.get("/").status_code == 200
    client.post("/logout")
    assert "Your session has ended. Please log in again." in refused(thief)
    assert refused(thief)  # and stays refused: the copied session was cleared


def test_logging_out_one_session_leaves_the_users_other_sessions_alone(app, users):
    phone, desk = english_login(app, "collector"), english_login(app, "collector")
    phone.post("/logout")
    assert desk.get("/").status_code == 200


def test_log_out_everywhere_ends_every_session_of_the_user_only(app, users):
    phone, desk = english_login(app, "collector"), english_login(app, "collector")
    other = english_login(app, "dispatcher")
    page = desk.get("/password").get_data(as_text=True)
    assert 'action="/logout/everywhere"' in page and "Log out everywhere" in page
    response = desk.post("/logout/everywhere")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    refused(desk)
    assert "Your session has ended" in refused(phone)
    assert other.get("/").status_code == 200
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "user.logout_everywhere").count() == 1
    assert login(app.test_client(), "collector").status_code == 302  # a new login works


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, users):
    here, elsewhere = english_login(app, "dispatcher"), english_login(app, "dispatcher")
    response = here.post("/password", data={"current": PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    refused(elsewhere)


def test_disabling_resetting_the_password_or_changing_roles_ends_the_users_sessions(app, users, as_role):
    admin = as_role("admin")
    dispatcher = users["dispatcher"]
    with db.connection_context():
        dispatcher_role, collector_role = (Role.get(Role.code == code).id for code in ("dispatcher", "collector"))
    form = {
        "username": "dispatcher",
        "name": "Dispatcher",
        "department": dispatcher.department_id,
        "roles": [dispatcher_role],
        "language": "zh_CN",
        "active": "y",
    }

    def edit(**changes):
        url = f"/admin/users/{dispatcher.id}"
        response = admin.post(url, data={**form, **changes, "version": form_version(admin, url)})
        assert response.status_code == 302, response.get_data(as_text=True)

    session = english_login(app, "dispatcher")
    edit(name="Renamed", phone="123")  # what does not touch access keeps the session
    assert session.get("/").status_code == 200
    edit(roles=[dispatcher_role, collector_role])
    refused(session)

    session = english_login(app, "dispatcher")
    edit(password="a-reset-password")
    refused(session)

    session = english_login(app, "dispatcher", "a-reset-password")
    edit(active="")
    refused(session)
    edit()  # enabled again: the old cookie stays dead
    refused(session)


def test_an_administrator_changing_their_own_roles_keeps_their_session(app, users, as_role):
    admin = as_role("admin")
    with db.connection_context():
        roles = [Role.get(Role.code == code).id for code in ("admin", "leader")]
    url = f"/admin/users/{users['admin'].id}"
    form = {"username": "admin", "name": "Admin", "department": users["admin"].department_id, "roles": roles}
    response = admin.post(url, data={**form, "language": "zh_CN", "active": "y", "version": form_version(admin, url)})
    assert response.status_code == 302
    assert admin.get("/admin/users").status_code == 200


def test_no_login_lasts_longer_than_session_max_hours_however_active(app, users):
    hours = app.config["SESSION_MAX_HOURS"]
    with clock.frozen(START):
        client = english_login(app, "dispatcher")
    at = START
    while at < START + timedelta(hours=hours):
        with clock.frozen(at):
            assert client.get("/").status_code == 200
        at += timedelta(minutes=20)
    with clock.frozen(START + timedelta(hours=hours, minutes=1)):
        assert f"You have been logged in for {hours} hours: please log in again." in refused(client)


def test_session_max_hours_is_configurable(make_app, users):
    app = make_app(SESSION_MAX_HOURS=1)
    with clock.frozen(START):
        client = english_login(app, "dispatcher")
    for minutes in (20, 40, 59):
        with clock.frozen(START + timedelta(minutes=minutes)):
            assert client.get("/").status_code == 200
    with clock.frozen(START + timedelta(minutes=61)):
        refused(client)


def test_a_session_from_before_session_versions_counts_as_ended(app, users):
    client = english_login(app, "dispatcher")
    with client.session_transaction() as session:
        for key in ("sid", "ver", "login_at"):
            session.pop(key)
    refused(client)


def test_flask_users_logout_ends_every_session_from_the_shell(app, users):
    client = english_login(app, "dispatcher")
    result = app.test_cli_runner().invoke(args=["users", "logout", "dispatcher"])
    assert result.exit_code == 0, result.output
    assert "ended every session of dispatcher" in result.output
    refused(client)
    with db.connection_context():
        assert User.get(User.username == "dispatcher").session_version == 1
    result = app.test_cli_runner().invoke(args=["users", "logout", "nobody"])
    assert result.exit_code != 0 and "no user named" in result.output


def test_a_copy_of_a_session_that_ran_idle_ends_with_it(app, users):
    with clock.frozen(START):
        client = english_login(app, "dispatcher")
        thief = copy_of(client, app)
    with clock.frozen(START + timedelta(minutes=20)):
        assert thief.get("/").status_code == 200  # the copy is kept busy, the original is not
    with clock.frozen(START + timedelta(minutes=31)):
        refused(client)
    with clock.frozen(START + timedelta(minutes=32)):
        assert "Your session has ended" in refused(thief)
