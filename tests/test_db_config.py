"""Configuration precedence, secrets, migrations and the migrated schema matching the models."""

import pytest
from playhouse.schema_diff import diff_models

from app import create_app
from core import config
from core.db import db, pending, upgrade
from core.models import core_models


def test_migrated_schema_matches_the_models(app):
    with db.connection_context():
        drift = diff_models(db.obj, core_models())
    assert not drift, f"models and migrations disagree: {drift}"


def test_upgrade_is_idempotent_and_status_reports_nothing_pending(app):
    assert upgrade(app) == []
    assert pending(app) == []
    result = app.test_cli_runner().invoke(args=["db", "status"])
    assert result.exit_code == 0
    assert "[x] core: 0001_initial" in result.output


def test_status_exits_1_while_migrations_are_pending(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40})
    result = app.test_cli_runner().invoke(args=["db", "status"])
    assert result.exit_code == 1
    assert "[ ] core: 0001_initial" in result.output
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert "applied core: 0001_initial" in result.output


def test_status_fails_naming_a_plugin_that_failed_to_load(make_app):
    from tests.support import BROKEN_PLUGINS

    app = make_app(PLUGINS_DIR=BROKEN_PLUGINS)
    result = app.test_cli_runner().invoke(args=["db", "status"])
    assert result.exit_code == 1
    assert "[x] core: 0001_initial" in result.output  # nothing is pending: the plugin alone fails it
    assert (
        "plugin bad_import failed to load, so its migrations are not listed: "
        "ImportError: bad_import cannot find its dependency"
    ) in result.output


def test_sqlite_runs_with_wal_and_foreign_keys(app):
    if not db.obj.__class__.__name__.startswith("Sqlite"):
        pytest.skip("SQLite pragmas only apply to the SQLite backend")
    with db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_config_precedence_defaults_then_instance_file_then_environment(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("SESSION_IDLE_MINUTES = 45\nLOGIN_MAX_FAILURES = 7\nTIMEZONE = 'Asia/Urumqi'\n")
    monkeypatch.setenv("XIUHUA_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("XIUHUA_PLUGINS_DISABLED", "zombie_cars, dust")
    monkeypatch.setenv("XIUHUA_SCHEDULER_ENABLED", "no")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["PASSWORD_MIN_LENGTH"] == 8  # default
    assert app.config["SESSION_IDLE_MINUTES"] == 45  # instance/config.py
    assert app.config["LOGIN_MAX_FAILURES"] == 3  # environment beats the file
    assert app.config["PLUGINS_DISABLED"] == ["zombie_cars", "dust"]
    assert app.config["SCHEDULER_ENABLED"] is False
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'xiuhua.sqlite3'}"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("secret", ["dev", "change-me", "short-but-not-default"])
def test_production_refuses_weak_secrets(tmp_path, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV": "production", "SECRET_KEY": secret})


def test_production_accepts_a_generated_secret(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ENV": "production"})
    assert len(app.config["SECRET_KEY"]) == 64


def test_weak_secret_list_is_what_production_checks():
    for weak in config.WEAK_SECRETS:
        with pytest.raises(RuntimeError):
            config.check_production_secret(weak)


def test_migration_0011_moves_the_department_written_into_undispatched_cases_to_the_suggestion(tmp_path):
    from datetime import datetime
    from pathlib import Path

    import core
    from core.db import runner
    from core.org import Department

    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40})
    migrations = runner("core", str(Path(core.__file__).parent / "migrations"))
    at = datetime(2026, 11, 2, 9, 0)
    with app.app_context(), db.connection_context():
        migrations.up(target="0010_evaluation")
        # Only the columns of 0010's schema (the model has later ones, such as 0017's version).
        db.execute_sql(
            "INSERT INTO department (name, code, type, phone, sort) VALUES ('市政处', 'works', 'professional', '', 0)"
        )
        works = Department.select(Department.id).where(Department.code == "works").get()
        for number, status, dispatched in (("2026-000001", "filed", None), ("2026-000002", "handling", at)):
            # the table as it was at 0010 (the model's later columns are not there yet)
            db.execute_sql(
                "INSERT INTO work_order (number, source, status, department_id, reported_at, dispatched_at, "
                "version, description, address, caller_name, caller_phone, limit_unit, stage, stage_unit, "
                "extensions, extension_requested, suspensions, reworks, returns, resume_status) "
                "VALUES (%s, 'collector', %s, %s, %s, %s, 1, '', '', '', '', '', '', '', 0, %s, 0, 0, 0, '')"
                % ((db.param,) * 6),
                (number, status, works.id, at, dispatched, False),
            )
        migrations.up()
        rows = db.execute_sql(
            "SELECT number, department_id, suggested_department_id FROM work_order ORDER BY number"
        ).fetchall()
    assert [tuple(row) for row in rows] == [("2026-000001", None, works.id), ("2026-000002", works.id, None)]


def test_migration_0031_makes_each_notifications_case_its_subject(tmp_path):
    from pathlib import Path

    import core
    from core.db import is_sqlite, runner
    from core.notifications.models import Notification

    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40})
    migrations = runner("core", str(Path(core.__file__).parent / "migrations"))
    with app.app_context(), db.connection_context():
        if not is_sqlite():
            pytest.skip("the rows are written without their user and case: SQLite's foreign keys can be off")
        migrations.up(target="0029_number_series")
        db.execute_sql("PRAGMA foreign_keys = OFF")
        for order_id, kind in ((42, "dispatched"), (None, "zombie-merge")):
            db.execute_sql(
                "INSERT INTO notification (user_id, at, order_id, kind, text, read) VALUES (7, %s, %s, %s, '', %s)"
                % ((db.param,) * 4),
                ("2026-11-30 08:00:00", order_id, kind, False),
            )
        db.execute_sql("PRAGMA foreign_keys = ON")
        migrations.up()
        rows = {(n.kind, n.subject_kind, n.subject_id) for n in Notification.select()}
        columns = {column.name for column in db.get_columns("notification")}
        indexes = {index.name: index.columns for index in db.get_indexes("notification")}
    assert indexes["notification_user_id_read"] == ["user_id", "read"]  # the badge's, kept
    assert indexes["notification_user_id_subject_kind_subject_id_kind_due"][1:3] == ["subject_kind", "subject_id"]
    assert rows == {("dispatched", "workorder", 42), ("zombie-merge", None, None)}
    assert "order_id" not in columns
