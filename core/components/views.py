"""Pages of the component census: the list, one component with its status history and its work orders,
the status change, the map layer, exports, and the import page."""

import unicodedata

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from peewee import JOIN, fn
from wtforms import BooleanField as BooleanInput
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from core import audit, clock, plugins
from core.areas import Area
from core.catalogue.models import Category
from core.components import census
from core.components import export as component_export
from core.components.models import (
    STATUS_BADGES,
    STATUS_COLOURS,
    STATUSES,
    Component,
    ComponentImport,
    ComponentStatusChange,
)
from core.db import db
from core.exports.views import respond
from core.grids.geo import CRS
from core.importing.pages import ImportKind, status_page, upload_page
from core.org import User
from core.parsing import parse_id, parse_int
from core.permissions import requires, unscoped
from core.web import message, page

bp = Blueprint("components", __name__, url_prefix="/components")
PAGE_SIZE = 50


# --- what the grid page calls ------------------------------------------------------------------------


def map_layer(grid_id: int | None = None, name=None, fit=False) -> dict:
    """A layer for the map contract: the components (of one grid), clustered."""
    url = url_for("components.map_geojson", grid=grid_id) if grid_id else url_for("components.map_geojson")
    return {
        "name": str(name or _("Components")),
        "url": url,
        "kind": "points",
        "cluster": True,
        "fit": fit,
        "visible": True,
    }


def grid_components(area) -> dict:
    """What a unit-grid page shows about its components: the total, the count per status (in STATUSES
    order, statuses with none left out), the list URL filtered to the grid, and a map layer."""
    area_id = area.id if hasattr(area, "id") else int(area)
    counts = dict(
        Component.select(Component.status, fn.COUNT(Component.id))
        .where(Component.grid == area_id)
        .group_by(Component.status)
        .tuples()
    )
    return {
        "total": sum(counts.values()),
        "by_status": [(key, label, counts[key]) for key, label in STATUSES.items() if counts.get(key)],
        "list_url": url_for("components.index", grid_id=area_id),
        "layer": map_layer(area_id, fit=False),
    }


# --- list --------------------------------------------------------------------------------------------


EXPORT_FILTERS = ("grid", "grid_id", "category", "status", "q")


def _filtered():
    return filtered(request.args)


def filtered(args):
    """The components the list shows for its filters (`args`: the query string, or an export's params)."""
    query = (
        Component.select(Component, Category, Area)
        .join_from(Component, Category)
        .join_from(Component, Area)
        .order_by(Component.code)
    )
    grid_id = parse_id(str(args.get("grid_id", "")))  # from a grid page's link
    if grid_id:
        query = query.where(Component.grid == grid_id)
    grid = unicodedata.normalize("NFKC", args.get("grid", "")).strip().split(" ")[0]
    if grid:
        query = query.where(Area.code.startswith(grid) | Area.name.contains(grid))
    category = unicodedata.normalize("NFKC", args.get("category", "")).strip().split(" ")[0]
    if category:
        query = query.where(Category.code.startswith(category) | Category.name.contains(category))
    if args.get("status") in STATUSES:
        query = query.where(Component.status == args["status"])
    q = unicodedata.normalize("NFKC", args.get("q", "")).strip()
    if q:
        query = query.where(Component.code.startswith(q) | Component.name.contains(q) | Component.address.contains(q))
    return query


@bp.route("/")
@requires("components.view")
def index():
    query = _filtered()
    total = query.count()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page_no = min(max(request.args.get("page", 1, type=parse_int), 1), pages)
    return page(
        "components/index.html",
        "components/_rows.html",
        "component-rows",
        components=list(query.paginate(page_no, PAGE_SIZE)),
        total=total,
        page_no=page_no,
        pages=pages,
        statuses=STATUSES,
        badges=STATUS_BADGES,
        export_args={k: v for k, v in request.args.items() if k in EXPORT_FILTERS and v},
    )


# --- one component -----------------------------------------------------------------------------------


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[InputRequired()])
    current = StringField()  # the status the form was shown with: a stale form is refused
    note = StringField(_l("Note"), validators=[Length(max=500)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(key, label) for key, label in STATUSES.items()]


def _component_or_none(component_id):
    return (
        Component.select(Component, Category, Area)
        .join_from(Component, Category)
        .join_from(Component, Area)
        .where(Component.id == component_id)
        .first()
    )


def report_url(component) -> str:
    category = component.category
    return url_for(
        "workorders.new",
        component=component.id,
        category=f"{category.code} {category.name}",
        category_id=category.id,
        grid=f"{component.grid.code} {component.grid.name}",
        latitude=f"{component.latitude:.6f}",
        longitude=f"{component.longitude:.6f}",
        address=component.address or component.name,
    )


def _show(component, form=None, status=200, error=""):
    if form is None and current_user.can("components.manage"):
        form = StatusForm(formdata=None, status=component.status, current=component.status)
    history = list(
        ComponentStatusChange.select(ComponentStatusChange, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(ComponentStatusChange.component == component)
        .order_by(ComponentStatusChange.at.desc(), ComponentStatusChange.id.desc())
    )
    return page(
        "components/show.html",
        status=status,
        component=component,
        history=history,
        sections=sorted(
            plugins.host().collect("component_sections", component=component, user=current_user), key=lambda s: s.order
        ),
        statuses=STATUSES,
        badges=STATUS_BADGES,
        form=form,
        error=error,
        report_url=report_url(component) if current_user.can("workorder.report") else None,
        layers=[{**map_layer(), "url": url_for("components.map_geojson", id=component.id), "fit": True}],
        tile_url=current_app.config.get("MAP_TILE_URL", ""),
    )


@bp.route("/<int:component_id>")
@requires("components.view")
@unscoped
def show(component_id):
    component = _component_or_none(component_id)
    if component is None:
        return message(_("There is no such component."), 404)
    return _show(component)


@bp.route("/<int:component_id>/status", methods=["POST"])
@requires("components.manage")
@unscoped
def change_status(component_id):
    component = _component_or_none(component_id)
    if component is None:
        return message(_("There is no such component."), 404)
    form = StatusForm()
    if not form.validate_on_submit():
        return _show(component, form, status=422)
    if form.current.data != component.status:
        form = StatusForm(formdata=None, status=component.status, current=component.status)
        return _show(
            component,
            form,
            status=409,
            error=_(
                "Someone changed the status to %(status)s in the meantime; nothing was saved. Check and try again.",
                status=component.status_label,
            ),
        )
    new = form.status.data
    if new == component.status:
        flash(_("The status is already %(status)s.", status=component.status_label), "warning")
        return redirect(url_for("components.show", component_id=component.id))
    note = form.note.data.strip()
    with db.atomic():
        changed = (
            Component.update(status=new, updated_at=clock.now())
            .where((Component.id == component.id) & (Component.status == component.status))
            .execute()
        )
        if changed:
            ComponentStatusChange.create(
                component=component, from_status=component.status, to_status=new, by=current_user.id, note=note
            )
            audit.record(
                "components.status",
                "component",
                component.id,
                f"{component.code} {component.name}",
                before={"status": component.status},
                after={"status": new, "note": note},
            )
    if not changed:
        return _show(
            _component_or_none(component.id),
            status=409,
            error=_("Someone changed the status in the meantime; nothing was saved."),
        )
    flash(_("Status changed to %(status)s.", status=STATUSES[new]), "success")
    return redirect(url_for("components.show", component_id=component.id))


# --- map and exports ---------------------------------------------------------------------------------


@bp.route("/map.geojson")
@requires("components.view")
def map_geojson():
    """Points for the map contract: label, href, colour by status, the status as value. ?grid=<area id>
    limits to one grid, ?id=<component id> to one component."""
    query = Component.select(
        Component.id, Component.code, Component.name, Component.status, Component.longitude, Component.latitude
    )
    grid, one = request.args.get("grid", type=parse_id), request.args.get("id", type=parse_id)
    if grid:
        query = query.where(Component.grid == grid)
    if one:
        query = query.where(Component.id == one)
    # The whole census is thousands of points: each link and status label is built once, not per point.
    href = url_for("components.show", component_id=0).removesuffix("0")
    labels = {status: str(label) for status, label in STATUSES.items()}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
            "properties": {
                "label": f"{name} {code}",
                "href": f"{href}{component_id}",
                "color": STATUS_COLOURS.get(status, "#9e9e9e"),
                "value": labels.get(status, status),
            },
        }
        for component_id, code, name, status, longitude, latitude in query.order_by(Component.id).tuples()
    ]
    response = jsonify({"type": "FeatureCollection", "features": features})
    response.mimetype = "application/geo+json"
    return response


def _filename() -> str:
    return f"components-{clock.now().date().isoformat()}"


@bp.route("/export.csv")
@requires("components.view")
def export_csv():
    data = component_export.csv_file(_filtered())
    return Response(
        data, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{_filename()}.csv"'}
    )


@bp.route("/export.xlsx")
@requires("components.view")
def export_xlsx():
    params = {key: str(request.args[key])[:100] for key in EXPORT_FILTERS if request.args.get(key)}
    return respond(component_export.KIND, params, _filename())


# --- import ------------------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    crs = RadioField(
        _l("Coordinates in the file"),
        choices=[SelectChoice(code, label) for code, label in CRS.items()],
        default="wgs84",
        validators=[InputRequired(_l("Say which coordinates the file uses."))],
    )
    skip_bad = BooleanInput(_l("Skip bad rows and import the others"))
    dry_run = BooleanInput(_l("Dry run: check the file and show what would change, write nothing"))


IMPORTS = ImportKind(
    name="components",
    model=ComponentImport,
    form=ImportForm,
    importer="core.components.census",
    reader="read_table",
    options=lambda form: {"crs": form.crs.data, "skip_bad": form.skip_bad.data, "dry_run": form.dry_run.data},
    context={"columns": census.COLUMNS, "required": census.REQUIRED, "crs": CRS},
)


@bp.route("/import", methods=["GET", "POST"])
@requires("components.manage")
def import_page():
    return upload_page(IMPORTS.name)


@bp.route("/import/<int:import_id>")
@requires("components.manage")
@unscoped
def import_status(import_id):
    return status_page(IMPORTS.name, import_id)
