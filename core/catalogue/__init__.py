"""The catalogue (docs/domain.md §2): categories of components and events in their two editions and the
filing standards attached to them, as a built-in plugin module. This file holds its hooks only: the models
are in models.py, the pages in views.py, the CSV importer in reading.py and importer.py, `flask catalogue`
in cli.py, the category picker of the report forms in picker.py."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import MenuItem, UpgradeStep, host

# The hooks import the package's modules when called: importing core.catalogue.models runs this file
# first, and the pages import core.catalogue.dispatch_rules, which imports the models (a circle).


@hookimpl
def register_blueprints():
    from core.catalogue.dispatch_rule_views import bp as dispatch_rules
    from core.catalogue.views import bp

    return [bp, dispatch_rules]


@hookimpl
def register_permissions():
    return [
        {
            "name": "catalogue.view",
            "label": _l("See the categories and filing standards"),
            "roles": ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader"],
        },
        {
            "name": "catalogue.manage",
            "label": _l("Edit and import categories and filing standards"),
            "roles": ["admin"],
        },
    ]


@hookimpl
def register_imports():
    from core.catalogue.views import IMPORTS

    return [IMPORTS]


@hookimpl
def upgrade_steps():
    from core.catalogue.plugin_categories import sync_plugin_categories

    return [UpgradeStep("catalogue.plugin_categories", lambda: sync_plugin_categories(host()))]


@hookimpl
def register_commands(cli):
    from core.catalogue.cli import catalogue_cli

    cli.add_command(catalogue_cli)


@hookimpl
def menu_items(user):
    if user.can("catalogue.view"):
        return [MenuItem(_l("Categories and standards"), "catalogue.categories", order=880, group="admin")]
    return []


@hookimpl
def register_audit_actions():
    from core.catalogue.audit_actions import ACTIONS

    return ACTIONS
