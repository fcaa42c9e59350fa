"""Issue 16: /healthz for a load balancer: public, JSON, no session cookie; 200 when the database answers
and no migration is pending, else 503; the scheduler's heartbeat age is informative unless
HEALTH_SCHEDULER_MAX_AGE_S is set; nothing in it helps an attacker."""

from datetime import timedelta

from peewee import OperationalError

from core import clock, scheduler
from core import db as dbmod
from core.health import views as health
from core.testing import in_db

KEYS = {"database", "migrations", "scheduler_age_s", "status"}


def test_a_healthy_instance_answers_200_to_anyone_without_a_cookie(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "migrations": "ok", "scheduler_age_s": None, "status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_a_logged_in_user_gets_no_new_cookie_either(app, login_as):
    response = login_as("dispatcher").get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_the_scheduler_age_is_the_heartbeat_s_and_only_informative_by_default(app):
    beat_at = clock.now()
    with clock.frozen(beat_at):
        scheduler.beat()
    with clock.frozen(beat_at + timedelta(seconds=90)):
        response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["scheduler_age_s"] == 90


def test_a_heartbeat_older_than_the_configured_age_fails(make_app):
    app = make_app(HEALTH_SCHEDULER_MAX_AGE_S=120)
    beat_at = clock.now()
    with clock.frozen(beat_at):
        scheduler.beat()
    with clock.frozen(beat_at + timedelta(seconds=120)):
        assert app.test_client().get("/healthz").status_code == 200
    with clock.frozen(beat_at + timedelta(seconds=121)):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "migrations": "ok", "scheduler_age_s": 121, "status": "fail"}


def test_no_heartbeat_at_all_fails_when_the_age_is_checked(make_app):
    app = make_app(HEALTH_SCHEDULER_MAX_AGE_S="300")  # as XIUHUA_HEALTH_SCHEDULER_MAX_AGE_S gives it
    assert app.test_client().get("/healthz").status_code == 503


def test_a_pending_migration_answers_503(app):
    def forget_the_newest():
        dbmod.db.execute_sql("DELETE FROM migrations_core WHERE name = '0034_scheduler_heartbeat'")

    in_db(app, forget_the_newest)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "pending" and response.get_json()["status"] == "fail"


def test_migrations_found_applied_are_not_listed_again(app, monkeypatch):
    client = app.test_client()
    assert client.get("/healthz").status_code == 200

    def slow_scan(app):
        raise AssertionError("the migrations were listed again")

    monkeypatch.setattr(dbmod, "migration_sources", slow_scan)
    assert client.get("/healthz").status_code == 200


def test_a_database_that_does_not_answer_gives_503_and_no_details(app, monkeypatch):
    client = app.test_client()
    assert client.get("/healthz").status_code == 200

    def refuse(*args, **kwargs):
        raise OperationalError('could not connect to server at "10.1.2.3", port 5432: psycopg2 2.9')

    monkeypatch.setattr(dbmod.db.obj, "connect", refuse)  # as a PostgreSQL server gone away
    monkeypatch.setattr(dbmod.db.obj, "execute_sql", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    answer = response.get_json()
    assert set(answer) == KEYS
    assert answer["database"] == "error" and answer["status"] == "fail"
    assert "10.1.2.3" not in response.get_data(as_text=True) and "psycopg" not in response.get_data(as_text=True)


def test_the_view_is_public_and_connects_itself():
    assert health.healthz.permission == "public"
    assert health.healthz.connects_itself
