"""The plugin host's start-up checks (core.plugins): what a plugin's module must look like to be
loaded (`__requires__`, no hook-order options), the requirements between plugins, and the ids that
must be unique across plugins. Each check disables the plugin at fault through `host.fail` (or,
for a duplicate id, stops start-up naming both), never the others."""

import traceback

from core import config

# What must be unique across plugins in each registration hook's items (start-up fails naming both).
UNIQUE_KEYS = {
    "register_blueprints": lambda bp: bp.name,
    "register_permissions": lambda perm: perm["name"],
    "register_roles": lambda role: role["code"],
    "register_jobs": lambda job: job.id,
    "register_audit_actions": lambda action: action.code,
    "register_commands": lambda command: command.name,
    "register_categories": lambda category: f"{category['kind']}:{category['code']}",
    "config_defaults": lambda key: key,
    "register_exports": lambda kind: kind.name,
    "register_imports": lambda kind: kind.name,
    "map_measures": lambda measure: measure.name,
    "register_indicators": lambda indicator: indicator.code,
    "attachment_subjects": lambda subject: subject.kind,
    "notification_subjects": lambda subject: subject.kind,
}

# pluggy's options that reorder or wrap a hook's calls: the host calls each implementation on its own,
# in load order, so it refuses a plugin using them rather than call them in some other order.
ORDERING_OPTIONS = ("tryfirst", "trylast", "hookwrapper", "wrapper")


class PluginRefused(Exception):
    """A plugin the host will not load; the message says why, for /admin/plugins and `flask plugins list`."""


def requirements(module) -> list[str]:
    """The module's `__requires__`: a list of plugin names, or PluginRefused."""
    requires = getattr(module, "__requires__", [])
    if not isinstance(requires, list | tuple) or not all(isinstance(name, str) for name in requires):
        raise PluginRefused(f"__requires__ must be a list of plugin names, not {requires!r}")
    return list(requires)


def refuse_ordering(host, module):
    """PluginRefused when one of the module's hooks uses an ORDERING_OPTIONS option."""
    for attr in dir(module):
        options = host.parse_hookimpl_opts(module, attr) or {}
        used = [option for option in ORDERING_OPTIONS if options.get(option)]
        if used:
            raise PluginRefused(
                f"hook {attr} is marked {', '.join(used)}: Xiuhua calls every plugin's hooks one by one "
                "in load order (built-ins, installed packages, then the plugins folder by name) and "
                "supports neither tryfirst/trylast nor wrappers"
            )


def check_requirements(host):
    """Fail every enabled plugin that requires one that is not there, is disabled or failed, and
    then those that require it, and so on."""
    failing = True
    while failing:
        failing = False
        for name, info in list(host.infos.items()):
            if info.status != "enabled":
                continue
            for required in info.requires:
                other = host.infos.get(required)
                if other is not None and other.status == "enabled":
                    continue
                why = {None: "is not installed", "disabled": "is disabled (PLUGINS_DISABLED)"}.get(
                    other and other.status, "failed to load"
                )
                host.fail(name, f"requires the plugin {required!r}, which {why}")
                failing = True
                break


def fail_items_without_id(host, results: dict):
    """Disable a plugin that returned, from a registration hook, an item without its id."""
    for hook, key in UNIQUE_KEYS.items():
        for plugin, items in results[hook]:
            try:
                [key(item) for item in items]
            except Exception:
                host.fail(plugin, f"{hook} returned an item without its id:\n{traceback.format_exc()}")


def check_unique(host, taken_commands=()):
    """Stop start-up when two surviving plugins (or a plugin and the core: `taken_commands`, the
    configuration's own keys) register the same id."""
    owners: dict[str, dict[str, str]] = {hook: {} for hook in UNIQUE_KEYS}
    owners["register_commands"] = {name: "the core" for name in taken_commands}
    owners["config_defaults"] = {name: "the core" for name in config.DEFAULTS}
    for hook, key in UNIQUE_KEYS.items():
        for plugin, item in host.items(hook):
            unique_or_fail(hook, owners[hook], key(item), plugin)


def unique_or_fail(hook: str, owners: dict, key: str, plugin: str):
    if key in owners:
        raise RuntimeError(f"{hook}: {key!r} is registered by both {owners[key]} and {plugin}")
    owners[key] = plugin
