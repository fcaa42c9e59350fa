from core.hookspecs import hookimpl


@hookimpl
def menu_items(user):
    raise ValueError("bad_menu fails on every page")
