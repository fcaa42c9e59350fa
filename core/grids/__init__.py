"""Unit grids: the outlines of the areas of the grid tree (core.areas), their history, the pages to look them
up and import them, and the point-in-grid lookup `locate(lon, lat)`, as a built-in plugin module.

Choices, documented here because other code depends on them:

- **Coordinates.** Stored as GeoJSON text in WGS84 longitude/latitude, 7 decimals (about 1 cm), exterior
  rings counter-clockwise (RFC 7946). Files in GCJ-02 (Amap/Gaode, Tencent) are converted on import with
  the published offset and its inverse (by iteration, below 1e-9°).
- **History.** `Area.code` is unique, so a redrawn grid keeps its Area row (and every work order keeps
  pointing at it) and its *shape* is versioned: `GridShape` rows with `valid_from` / `valid_to`, where
  `valid_to` is exclusive (the day the next shape starts) and the current shape has `valid_to` NULL. A
  shape is never rewritten: redrawing closes the current row and adds one. A grid redrawn on the day its
  current shape started leaves a zero-length row behind, which still shows what was there.
- **Levels.** GridShape holds the outline of any level of the tree; the importer takes unit grids only
  (15-digit codes, or the legacy 14-digit CJ/T 213-2005 form, kept as given and labelled "legacy").
  Community, street and district outlines come from the demo city today; when a community has one,
  its grids must lie inside it and gaps between them are reported.
- **Lookup.** `locate` uses an in-process index (a shapely STRtree over the current unit-grid shapes,
  prepared), built on first use and rebuilt when an import changes the version kept in core.settings
  (checked at most once a second, and at once in the process that imported). A point on a boundary
  belongs to the grid (boundaries are closed); a point on a boundary shared by several grids belongs to
  the one with the **smallest code**. A point inside a hole belongs to the grid filling the hole, if any.

Beside this file (hooks only): models.py (GridShape, GridImport, codes, the shapes on a day and their
export), geo.py (coordinates and areas), index.py (`locate` and its index), importer.py with
importer_read.py and importer_checks.py (the validating GeoJSON import), cli.py (`flask grids`), views.py
(the pages) and demo.py (the demo city's shapes)."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import MenuItem

# The hooks import their modules when called: importing core.grids.models (core/models.py does, and every
# module using GridShape) must not pull in the pages, the importer and everything they import.
VIEWERS = ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader", "collector"]


@hookimpl
def register_blueprints():
    from core.grids.views import bp

    return [bp]


@hookimpl
def register_permissions():
    return [
        {"name": "grids.view", "label": _l("See unit grids and find the grid of a place"), "roles": VIEWERS},
        {"name": "grids.manage", "label": _l("Import unit-grid shapes"), "roles": ["admin"]},
    ]


@hookimpl
def register_imports():
    from core.grids.views import IMPORTS

    return [IMPORTS]


@hookimpl
def register_commands(cli):
    from core.grids.cli import grids_cli

    cli.add_command(grids_cli)


@hookimpl
def menu_items(user):
    if user.can("grids.view"):
        return [MenuItem(_l("Unit grids"), "grids.index", order=40)]
    return []


@hookimpl
def demo_data(ctx):
    from core.grids.demo import demo_shapes

    demo_shapes(ctx)


@hookimpl
def register_audit_actions():
    from core.grids.audit_actions import ACTIONS

    return ACTIONS
