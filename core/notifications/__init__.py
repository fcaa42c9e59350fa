"""Notifications: a person's in-app notifications, the kinds they want only in the app, and notify() for
every feature and plugin (service.py; whom, recipients.py). Who is told of what a case does is the work
orders' rule (core/workorders/notifications.py)."""

from core.hookspecs import hookimpl


@hookimpl
def register_blueprints():
    from core.notifications.views import bp

    return [bp]


@hookimpl
def startup(app):
    from core.notifications.service import unread

    app.jinja_env.globals["unread_notifications"] = unread
