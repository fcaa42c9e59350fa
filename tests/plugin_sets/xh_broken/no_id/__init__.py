from core.hookspecs import hookimpl


@hookimpl
def register_permissions():
    return [{"label": "a permission without a name"}]
