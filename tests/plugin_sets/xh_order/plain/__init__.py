"""A plain plugin loaded next to two refused ones."""

from core.hookspecs import hookimpl
from core.plugins import MenuItem


@hookimpl
def menu_items(user):
    return [MenuItem("Plain", "home.index")]
