from core.hookspecs import hookimpl


@hookimpl
def register_blueprints():
    raise RuntimeError("bad_register exploded while registering")
