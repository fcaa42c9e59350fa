"""One permission whose default roles a test changes between two upgrades, as the tutorial's step 6 does."""

from core.hookspecs import hookimpl

ROLES = ["dispatcher"]


@hookimpl
def register_permissions():
    return [{"name": "flyerish.view", "label": "See flyers", "roles": list(ROLES)}]
