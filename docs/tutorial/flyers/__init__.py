"""Flyers (小广告): the campaign against illegal flyers built step by step in docs/plugins.md."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.api import JobSpec, MenuItem, hookimpl

__version__ = "1.0.0"


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def register_permissions():
    return [
        {
            "name": "flyers.view",
            "label": _l("See the flyer register"),
            "roles": ["admin", "leader", "dispatcher", "collector"],
        },
        {
            "name": "flyers.report",
            "label": _l("Record flyers and their removal"),
            "roles": ["admin", "dispatcher", "collector"],
        },
    ]


@hookimpl
def menu_items(user):
    if user.can("flyers.view"):
        return [MenuItem(_l("Flyers"), "flyers.index", order=60)]
    return []


@hookimpl
def config_defaults():
    return {"FLYERS_REPEAT_THRESHOLD": 3, "FLYERS_WINDOW_DAYS": 30}


@hookimpl
def register_categories():
    return [
        {
            "kind": "event",
            "class_code": "91",
            "class_name": "专项整治",
            "code": "9101",
            "name": "小广告",
            "department": "enforcement",
            "standards": [
                {
                    "filing_condition": "张贴、涂写、刻画小广告",
                    "limit": "1工作日",
                    "closing_condition": "清除干净，无残留",
                    "handling_unit": "城管执法支队",
                },
            ],
        }
    ]


@hookimpl
def register_jobs():
    from .jobs import repeat_numbers_job

    return [
        JobSpec(
            "flyers.repeat_numbers",
            _l("Phone numbers found on many flyers"),
            repeat_numbers_job,
            cron="0 8 * * *",
        ),
    ]
