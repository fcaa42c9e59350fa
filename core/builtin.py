"""The core's own contributions, made through the same hooks a plugin uses."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core import clock
from core.hookspecs import hookimpl
from core.permissions import BUILTIN_ROLES, CORE_PERMISSIONS
from core.plugins import MenuItem, UpgradeStep, Widget
from core.scheduler import N_, JobRun, JobSpec, Summary

RUN_LOG_DAYS = 180


@hookimpl
def register_blueprints():
    from core import admin, web
    from core.auth import views as auth
    from core.dashboard import home

    return [web.bp, auth.bp, home.bp, admin.bp]


@hookimpl
def register_commands(cli):
    from core.users_cli import users_cli

    cli.add_command(users_cli)


@hookimpl
def register_permissions():
    return CORE_PERMISSIONS


@hookimpl
def upgrade_steps():
    from core import permissions
    from core.admin.audit_log import keep_texts
    from core.plugins import host

    return [
        UpgradeStep("core.permissions", lambda: permissions.sync(host())),
        UpgradeStep("core.audit_texts", keep_texts),
    ]


@hookimpl
def register_roles():
    return [{**role, "permissions": []} for role in BUILTIN_ROLES]


@hookimpl
def menu_items(user):
    items = [MenuItem(_l("Home"), "home.index", order=0)]
    admin_pages = [
        ("admin.users", _l("Users"), "admin.users"),
        ("admin.departments", _l("Departments"), "admin.departments"),
        ("admin.roles", _l("Roles"), "admin.roles"),
        ("admin.audit", _l("Audit log"), "admin.audit"),
        ("admin.plugins", _l("Plugins"), "admin.plugins"),
        ("admin.jobs", _l("Scheduled jobs"), "admin.jobs"),
    ]
    for order, (permission, label, endpoint) in enumerate(admin_pages):
        if user.can(permission):
            items.append(MenuItem(label, endpoint, order=900 + order, group="admin"))
    return items


@hookimpl
def dashboard_widgets(user):
    return [Widget(_l("My account"), "_widget_account.html", {"user": user}, order=0)]


def prune_job_runs():
    cutoff = clock.now() - timedelta(days=RUN_LOG_DAYS)
    removed = JobRun.delete().where((JobRun.started_at < cutoff) & (JobRun.outcome != "running")).execute()
    return Summary(N_("Run records older than %(days)d days removed: %(n)d"), n=removed, days=RUN_LOG_DAYS)


@hookimpl
def register_jobs():
    return [JobSpec("core.prune_job_runs", _l("Prune old job-run records"), prune_job_runs, cron="30 3 * * *")]


@hookimpl
def register_audit_actions():
    from core.audit_actions import ACTIONS

    return ACTIONS
