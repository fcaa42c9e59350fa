"""The unit grids' pages: the list, one grid with its sections, finding the grid of a place (a page, and
the fragment the forms' location picker shows), the GeoJSON export and the import page (the `grids`
blueprint)."""

import unicodedata

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from peewee import JOIN
from wtforms import BooleanField as BooleanInput
from wtforms import DateField as DateInput
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.validators import Optional as OptionalInput

from core import clock, plugins
from core.areas import LEVELS, Area
from core.grids.geo import CRS
from core.grids.index import locate
from core.grids.models import GridImport, GridShape, code_form, export_text
from core.importing.pages import ImportKind, status_page, upload_page
from core.map_layers import grid_map_layers, measures_for
from core.parsing import ParseError, parse_float, parse_int
from core.permissions import requires, unscoped
from core.web import htmx, message, page

bp = Blueprint("grids", __name__, url_prefix="/grids")

PAGE_SIZE = 50


def _grid_rows():
    query = (
        Area.select(Area, GridShape.area_m2, GridShape.valid_from.alias("shape_from"))
        .join(GridShape, JOIN.LEFT_OUTER, on=((GridShape.area == Area.id) & GridShape.valid_to.is_null()))
        .where(Area.level == "grid")
        .order_by(Area.code)
    )
    q = unicodedata.normalize("NFKC", request.args.get("q", "")).strip()
    if q:
        query = query.where(Area.code.startswith(q) | Area.name.contains(q))
    if request.args.get("shape") == "1":
        query = query.where(GridShape.id.is_null(False))
    elif request.args.get("shape") == "0":
        query = query.where(GridShape.id.is_null())
    return query


@bp.route("/")
@requires("grids.view")
def index():
    query = _grid_rows()
    total = query.count()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page_no = min(max(request.args.get("page", 1, type=parse_int), 1), pages)
    measures = measures_for(current_user)
    measure = request.args.get("measure") if request.args.get("measure") in measures else "open"
    return page(
        "grids/grids.html",
        "grids/_grid_rows.html",
        "grid-rows",
        measures=measures,
        measure=measure,
        layers=grid_map_layers(current_user, measure),
        grids=list(query.objects().paginate(page_no, PAGE_SIZE)),
        total=total,
        page_no=page_no,
        pages=pages,
        crs_choices=CRS,
        code_form=code_form,
    )


def _coordinate(name: str, low: float, high: float) -> float | None:
    text = unicodedata.normalize("NFKC", request.args.get(name, "")).strip()
    try:
        return parse_float(text, min=low, max=high)
    except ParseError:
        return None


@bp.route("/locate")
@requires("grids.view")
def locate_page():
    lon, lat = _coordinate("lon", -180, 180), _coordinate("lat", -90, 90)
    crs = request.args.get("crs", "wgs84")
    context = {"lon": request.args.get("lon", ""), "lat": request.args.get("lat", ""), "crs": crs, "found": None}
    status = 200
    if lon is None or lat is None or crs not in CRS:
        context["problem"] = _("Give the longitude (−180 to 180) and latitude (−90 to 90) in degrees.")
        status = 422
    else:
        context["found"] = locate(lon, lat, crs)
        context["searched"] = True
    if htmx and htmx.target == "location-grid":
        # a form's location picker (templates/_location_picker.html): the grid before the form is saved
        return render_template("grids/_location_grid.html", code_form=code_form, **context), status
    return page(
        "grids/locate.html",
        "grids/_locate_result.html",
        "locate-result",
        status=status,
        code_form=code_form,
        crs_choices=CRS,
        **context,
    )


@bp.route("/<int:area_id>")
@requires("grids.view")
@unscoped
def grid(area_id):
    found = Area.get_or_none((Area.id == area_id) & (Area.level == "grid"))
    if found is None:
        return message(_("There is no such unit grid."), 404)
    chain, parent = [], found.parent
    while parent is not None:
        chain.insert(0, parent)
        parent = parent.parent
    shapes = list(
        GridShape.select().where(GridShape.area == found).order_by(GridShape.valid_from.desc(), GridShape.id.desc())
    )
    sections = sorted(plugins.host().collect("grid_sections", grid=found, user=current_user), key=lambda s: s.order)
    return page(
        "grids/grid.html",
        grid=found,
        chain=chain,
        shapes=shapes,
        levels=LEVELS,
        code_form=code_form,
        sections=sections,
        has_shape=any(s.valid_to is None for s in shapes),
        grid_layers=grid_map_layers(current_user, "", area=found.id),
    )


@bp.route("/export.geojson")
@requires("grids.view")
def export():
    text = export_text()
    filename = f"unit-grids-{clock.now().date().isoformat()}.geojson"
    return Response(
        text,
        mimetype="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class GridImportForm(FlaskForm):
    file = FileField(_l("GeoJSON file"), validators=[FileRequired(_l("Choose a GeoJSON file."))])
    crs = RadioField(
        _l("Coordinates in the file"),
        choices=[SelectChoice(code, label) for code, label in CRS.items()],
        validators=[InputRequired(_l("Say which coordinates the file uses."))],
    )
    valid_from = DateInput(
        _l("New and redrawn shapes are valid from"),
        validators=[OptionalInput()],
        description=_l("Empty: today. Earlier shapes stay in the history until this day."),
    )
    accept_warnings = BooleanInput(_l("Accept warnings (gaps between grids) and import anyway"))
    dry_run = BooleanInput(_l("Dry run: check the file and show what would change, write nothing"))


def _grid_import_options(form) -> dict:
    return {
        "crs": form.crs.data,
        "valid_from": form.valid_from.data or clock.now().date(),
        "accept_warnings": form.accept_warnings.data,
        "dry_run": form.dry_run.data,
    }


IMPORTS = ImportKind(
    name="grids",
    model=GridImport,
    form=GridImportForm,
    importer="core.grids.importer",
    reader="read_features",
    options=_grid_import_options,
    context={"crs": CRS},
)


@bp.route("/import", methods=["GET", "POST"])
@requires("grids.manage")
def import_page():
    return upload_page(IMPORTS.name)


@bp.route("/import/<int:import_id>")
@requires("grids.manage")
@unscoped
def import_status(import_id):
    return status_page(IMPORTS.name, import_id)
