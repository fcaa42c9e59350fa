"""The component census (部件普查) as a built-in plugin: components with their status history, the CSV
import and export (`flask components import|export`), the pages, and the map layer.

The component ID (部件标识码) follows GB/T 30428.2-2013 / GB/T 47678.5-2026 as summarised in
docs/operations.md: the district's 6-digit administrative-division code, then the component type's code
from the catalogue (2-digit class + 2-digit minor in the 2013 edition, 2 + 3 in 2026), then a 6-digit
sequence number: 16 digits (2013) or 17 (2026). An installation uses one edition (CATALOGUE_EDITION), so
an ID must have that edition's length; its first six digits must be the district of the grid its point
lies in, and its type code must be a component type of the catalogue."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import GridSection, MapLayer, MenuItem

VIEWERS = ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader", "collector"]


@hookimpl
def register_blueprints():
    from core.components.views import bp

    return [bp]


@hookimpl
def register_permissions():
    return [
        {"name": "components.view", "label": _l("See the component census"), "roles": VIEWERS},
        {
            "name": "components.manage",
            "label": _l("Import the component census and change components' status"),
            "roles": ["admin"],
        },
    ]


@hookimpl
def register_commands(cli):
    from core.components.cli import components_cli

    cli.add_command(components_cli)


@hookimpl
def menu_items(user):
    items = []
    if user.can("components.view"):
        items.append(MenuItem(_l("Components"), "components.index", order=45))
    if user.can("components.manage"):
        items.append(MenuItem(_l("Component census import"), "components.import_page", order=885, group="admin"))
    return items


@hookimpl
def demo_data(ctx):
    from flask import current_app

    from core.components.demo import load_components

    load_components(ctx, current_app.config.get("DEMO_COMPONENTS", 3000))


@hookimpl
def register_imports():
    from core.components.views import IMPORTS

    return [IMPORTS]


@hookimpl
def register_exports():
    from core.components.export import EXPORT

    return [EXPORT]


@hookimpl
def grid_sections(grid, user):
    if not user.can("components.view"):
        return []
    from core.components.views import grid_components

    return [GridSection("components", _l("Components"), "components/_grid_section.html", grid_components(grid), 30)]


@hookimpl
def map_layers(user, area):
    if not user.can("components.view"):
        return []
    from core.components.views import map_layer

    layer = map_layer(area.id if area is not None else None)
    # on the city map: switched off at first
    return [MapLayer(layer["name"], layer["url"], "points", cluster=True, visible=area is not None)]


@hookimpl
def register_audit_actions():
    from core.components.audit_actions import ACTIONS

    return ACTIONS
