"""Responsibility per grid (网格化管理, "责任落实到人"): the people answerable for each unit grid per
department, and the collectors' patrol areas (core/responsibility/people.py), with their pages."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import MenuItem


@hookimpl
def register_blueprints():
    from core.responsibility.views import bp

    return [bp]


@hookimpl
def register_permissions():
    return [
        {
            "name": "grids.assign",
            "label": _l("Assign responsible people and collectors to unit grids"),
            "roles": ["admin"],
        }
    ]


@hookimpl
def menu_items(user):
    if user.can("grids.assign"):
        return [MenuItem(_l("Grid responsibility"), "responsibility.index", order=45, group="admin")]
    return []


@hookimpl
def grid_sections(grid, user):
    from core.responsibility.views import sections

    return sections(grid, user)


@hookimpl
def demo_data(ctx):
    from core.responsibility.demo import demo_responsibility

    demo_responsibility(ctx)


@hookimpl
def register_audit_actions():
    from core.responsibility.audit_actions import ACTIONS

    return ACTIONS
