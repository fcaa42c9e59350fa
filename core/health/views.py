"""`GET /healthz`: `{"database": "ok"|"error", "migrations": "ok"|"pending", "scheduler_age_s": int|null,
"status": "ok"|"fail"}`, 200 when the status is ok, else 503. Nothing more: no versions, paths or errors.

The status fails when the database does not answer, a migration is pending, or HEALTH_SCHEDULER_MAX_AGE_S
is set and the scheduler's heartbeat is older than that (or there is none). Once every migration has been
found applied, the answer is kept for the process: migrations are applied before a process starts, and
listing them costs a directory scan and a query."""

from flask import Blueprint, current_app, jsonify

from core import db as dbmod
from core.db import db
from core.permissions import public
from core.scheduler import heartbeat_age

bp = Blueprint("health", __name__)
MIGRATED = "xiuhua.health.migrated"


def migrations_applied(app) -> bool:
    if app.extensions.get(MIGRATED):
        return True
    for component, directory in dbmod.migration_sources(app):
        if any(not m.applied for m in dbmod.runner(component, directory).status()):
            return False
    app.extensions[MIGRATED] = True
    return True


def scheduler_too_old(age: int | None) -> bool:
    limit = current_app.config.get("HEALTH_SCHEDULER_MAX_AGE_S")  # seconds or None (core/config.py)
    if limit is None:
        return False
    return age is None or age > limit


def check() -> dict:
    app = current_app._get_current_object()
    answer = {"database": "error", "migrations": "ok" if app.extensions.get(MIGRATED) else "pending"}
    age = None
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
        answer["database"] = "ok"
        answer["migrations"] = "ok" if migrations_applied(app) else "pending"
        age = heartbeat_age()
    except Exception:
        current_app.logger.warning("/healthz: the database check failed", exc_info=True)
    healthy = answer["database"] == "ok" and answer["migrations"] == "ok" and not scheduler_too_old(age)
    return {**answer, "scheduler_age_s": age, "status": "ok" if healthy else "fail"}


@bp.route("/healthz")
@public
def healthz():
    answer = check()
    return jsonify(answer), 200 if answer["status"] == "ok" else 503


healthz.connects_itself = True  # core.db's before_request leaves the connection to check()
