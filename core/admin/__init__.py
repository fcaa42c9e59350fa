"""Administration pages: users, departments, roles and permissions, audit log, plugins, jobs."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")


from core.admin import audit_log, departments, roles, system, users  # noqa: E402, F401
