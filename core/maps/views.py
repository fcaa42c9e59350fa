"""The GeoJSON of the unit grids (/grids/map.geojson), coloured by a measure (core/map_layers.py). The
case pins and a case's own map (/orders/…geojson) are routes of this blueprint too, added by
core/workorders/case_maps.py so that the endpoint names stay `maps.*`."""

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import map_layers as layers
from core.areas import Area
from core.grids.models import grid_rows
from core.map_layers import GREY, colour_of, count_bands, feature, geojson_response
from core.parsing import parse_id
from core.permissions import requires
from core.responsibility.people import grid_ids

bp = Blueprint("maps", __name__)


@bp.route("/grids/map.geojson")
@requires("grids.view")
def grids_geojson():
    """Current unit grids, each with label, href, id, value and colour of the chosen measure
    (`measure=` empty: no measure, all grey). `area=<id>`: only the grids under that area; `mine=1`:
    only the grids of the user's own responsibility areas (collectors)."""
    name = request.args.get("measure", "")
    measure = layers.measures().get(name)
    if name and measure is None:
        abort(404)
    if name and name not in layers.measures_for(current_user):
        abort(403)
    area = None
    if request.args.get("area"):
        area = Area.get_or_none(Area.id == request.args.get("area", type=parse_id))
        if area is None:
            abort(404)
    ids = None
    if request.args.get("mine") == "1":
        ids = grid_ids(current_user) or None
    values = measure.values(current_user) if measure else {}
    bands = (measure.bands or count_bands)(values) if measure else []
    missing = 0 if measure and measure.bands is None else None  # a count is 0 where nothing was counted
    features = []
    for area_id, code, grid_name, geometry in grid_rows(area, ids):
        value = values.get(area_id, missing)
        properties = {
            "id": area_id,
            "label": f"{grid_name} {code}",
            "href": url_for("grids.grid", area_id=area_id),
            "color": colour_of(value, bands) if measure else "#90a4ae",
        }
        if value is not None:
            properties["value"] = value
        features.append(feature(geometry, properties))
    legend = [[band.colour, band.text] for band in bands]
    if measure and measure.bands is not None:
        legend.append([GREY, _("No data")])
    return geojson_response(features, legend=legend) if measure else geojson_response(features)
