"""Maps (docs/architecture.md): the GeoJSON of the unit grids coloured by a measure, and the layer
machinery every map of unit grids is built with (core/map_layers.py). Other features add measures and
layers through the `map_measures` and `map_layers` hooks."""

from core.hookspecs import hookimpl


@hookimpl
def register_blueprints():
    from core.maps.views import bp

    return [bp]
