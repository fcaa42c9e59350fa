"""The working-time calendar (domain.md §3 stage limits and lights, §4 units): the arithmetic in
`calendar` (no Flask, no database), the table in `models`, the installation's calendar and the deadline
functions in `deadlines`, the edits and the CSV import in `edits`, `flask calendar` in `cli`, the pages in
`views`.

The hooks import what they use when called: importing `core.worktime.calendar` runs this file first, and
that must load neither Flask nor peewee (tests/test_worktime_calendar.py)."""

from core.hookspecs import hookimpl


@hookimpl
def register_blueprints():
    from core.worktime.views import bp

    return [bp]


@hookimpl
def register_permissions():
    from flask_babel import lazy_gettext as _l

    return [
        {"name": "calendar.manage", "label": _l("Edit the working-time calendar"), "roles": ["admin"]},
        {
            "name": "calendar.view",
            "label": _l("See the working-time calendar and explain deadlines"),
            "roles": ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader"],
        },
    ]


@hookimpl
def menu_items(user):
    from flask_babel import lazy_gettext as _l

    from core.plugins import MenuItem

    if user.can("calendar.manage"):
        return [MenuItem(_l("Working calendar"), "worktime.manage", order=910, group="admin")]
    if user.can("calendar.view"):
        return [MenuItem(_l("Working calendar"), "worktime.year", order=910, group="admin")]
    return []


@hookimpl
def register_commands(cli):
    from core.worktime.cli import calendar_cli

    cli.add_command(calendar_cli)


@hookimpl
def startup(app):
    from core.worktime.deadlines import invalidate

    invalidate()  # a new application may stand on another database


@hookimpl
def register_audit_actions():
    from core.worktime.audit_actions import ACTIONS

    return ACTIONS
