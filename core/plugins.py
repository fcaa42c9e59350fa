"""The plugin host: built-ins, then installed packages (entry-point group "xiuhua"), then the
plugins/ folder. A plugin that fails to import or register is disabled and reported, never fatal."""

import importlib
import importlib.metadata
import logging
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import click
import pluggy

import core
from core import config, hookspecs

log = logging.getLogger(__name__)

# Core modules that implement hooks exactly as plugins do (each is listed on /admin/plugins).
BUILTINS = [
    "core.builtin",
    "core.exports",
    "core.catalogue",
    "core.dispatch_rules",
    "core.worktime",
    "core.photos",
    "core.workorders",
    "core.grids",
    "core.maps",
    "core.responsibility",
    "core.components",
    "core.dashboard",
    "core.evaluation",
]

# Called once at start-up, plugin by plugin; their results are kept in PluginHost.registered.
REGISTRATION_HOOKS = [
    "config_defaults",
    "register_categories",
    "register_blueprints",
    "register_migrations",
    "register_permissions",
    "register_roles",
    "register_jobs",
    "register_audit_actions",
]
# `flask` sub-commands the core and Flask define outside the hooks; no plugin may take these names.
RESERVED_COMMANDS = ["db", "scheduler", "demo", "serve", "plugins", "run", "shell", "routes"]
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
}


@dataclass
class MenuItem:
    label: str
    endpoint: str
    order: int = 100
    icon: str = ""
    group: str = ""  # items with the same group are shown together under an "admin"-style heading


@dataclass
class Widget:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    width: str = "half"  # "half" or "full"


@dataclass
class Panel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


@dataclass
class PluginInfo:
    name: str
    source: str  # "builtin", "entry point", "folder"
    version: str = ""
    status: str = "enabled"  # enabled, disabled (by configuration), failed
    error: str = ""
    hooks: list[str] = field(default_factory=list)


class PluginHost(pluggy.PluginManager):
    def __init__(self, app):
        super().__init__("xiuhua")
        self.add_hookspecs(hookspecs)
        self.app = app
        self.infos: dict[str, PluginInfo] = {}
        self.disabled = set(app.config["PLUGINS_DISABLED"])
        self.registered: dict[str, list[tuple[str, object]]] = {}

    # --- loading ---------------------------------------------------------------------------------

    def load_all(self):
        for name in BUILTINS:
            self._load(name.rsplit(".", 1)[-1], "builtin", lambda n=name: importlib.import_module(n), core.__version__)
        for ep in importlib.metadata.entry_points(group="xiuhua"):
            version = ep.dist.version if ep.dist else ""
            self._load(ep.name, "entry point", ep.load, version)
        folder = Path(self.app.config["PLUGINS_DIR"])
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if (path / "__init__.py").exists():
                    self._load(path.name, "folder", lambda p=path: _import_from_folder(p))

    def _load(self, name, source, loader, version=""):
        info = PluginInfo(name=name, source=source, version=version)
        if name in self.infos:
            info.status, info.error = "failed", f"a plugin named {name!r} is already loaded"
            self.infos[f"{name} ({source})"] = info
            return
        self.infos[name] = info
        if name in self.disabled:
            info.status = "disabled"
            return
        try:
            module = loader()
            info.version = info.version or getattr(module, "__version__", "")
            self.register(module, name=name)
            self.check_pending()
        except Exception:
            self.fail(name, traceback.format_exc())
            return
        info.hooks = sorted(impl.name for impl in self.get_hookcallers(module) or [])

    def fail(self, name: str, error: str):
        """Disable a plugin, keep why, and carry on without it."""
        log.error("plugin %s disabled: %s", name, error)
        plugin = self.get_plugin(name)
        if plugin is not None:
            self.unregister(plugin)
        info = self.infos[name]
        info.status, info.error = "failed", error

    # --- calling ---------------------------------------------------------------------------------

    def call_each(self, hook_name: str, **kwargs) -> list[tuple[str, object]]:
        """Call one hook plugin by plugin, in load order; a plugin that raises is left out (and, at
        registration, disabled). Returns (plugin name, result) for every non-None result."""
        return [(name, result) for name, result in self.each(hook_name, **kwargs) if result is not None]

    def each(self, hook_name: str, **kwargs):
        """call_each, one plugin at a time: yields (plugin name, result) as each one returns, so that
        a caller can tell how far a long hook (demo_data) has come. A plugin that raises is skipped."""
        for impl in getattr(self.hook, hook_name).get_hookimpls():
            try:
                result = impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except Exception:
                if hook_name.startswith("register_"):
                    self.fail(impl.plugin_name, traceback.format_exc())
                else:
                    log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
                continue
            yield impl.plugin_name, result

    def collect(self, hook_name: str, **kwargs) -> list:
        """Flatten the lists every plugin returned from a hook."""
        return [item for _, items in self.call_each(hook_name, **kwargs) for item in items]

    def register_all(self, taken_commands=()):
        """Call every registration hook once. A plugin that fails in any of them, or returns an item
        without its id, is disabled and nothing it returned from the others is used. Ids must be
        unique across plugins (commands also against `taken_commands`). Fills self.registered."""
        results = {hook: self.call_each(hook) for hook in REGISTRATION_HOOKS}
        results["register_commands"] = self._stage_commands()
        for hook, key in UNIQUE_KEYS.items():
            for plugin, items in results[hook]:
                try:
                    [key(item) for item in items]
                except Exception:
                    self.fail(plugin, f"{hook} returned an item without its id:\n{traceback.format_exc()}")
        alive = {name for name, info in self.infos.items() if info.status == "enabled"}
        self.registered = {hook: [(p, r) for p, r in pairs if p in alive] for hook, pairs in results.items()}
        owners: dict[str, dict[str, str]] = {hook: {} for hook in UNIQUE_KEYS}
        owners["register_commands"] = {name: "the core" for name in taken_commands}
        owners["config_defaults"] = {name: "the core" for name in config.DEFAULTS}
        for hook, key in UNIQUE_KEYS.items():
            for plugin, item in self.items(hook):
                unique_or_fail(hook, owners[hook], key(item), plugin)

    def _stage_commands(self) -> list[tuple[str, list]]:
        """register_commands gets a group of its own per plugin, so that a plugin failing elsewhere
        adds no command either."""
        staged = []
        for impl in self.hook.register_commands.get_hookimpls():
            group = click.Group(impl.plugin_name)
            try:
                impl.function(cli=group)
            except Exception:
                self.fail(impl.plugin_name, traceback.format_exc())
                continue
            staged.append((impl.plugin_name, list(group.commands.values())))
        return staged

    def items(self, hook_name: str) -> list[tuple[str, object]]:
        """(plugin, item) for every item a registration hook returned, in load order."""
        return [(plugin, item) for plugin, items in self.registered[hook_name] for item in items]

    def migration_dirs(self) -> list[tuple[str, str]]:
        return [(name, str(path)) for name, path in self.registered["register_migrations"]]


def _import_from_folder(path: Path):
    parent = str(path.parent.parent)
    if parent not in sys.path:
        sys.path.insert(0, parent)
    return importlib.import_module(f"{path.parent.name}.{path.name}")


def unique_or_fail(hook: str, owners: dict, key: str, plugin: str):
    if key in owners:
        raise RuntimeError(f"{hook}: {key!r} is registered by both {owners[key]} and {plugin}")
    owners[key] = plugin


def init_app(app):
    from core.plugins_cli import plugins_cli

    app.cli.add_command(plugins_cli)
    host = PluginHost(app)
    host.load_all()
    app.extensions["xiuhua.plugins"] = host

    host.register_all(taken_commands=RESERVED_COMMANDS)
    for _, defaults in host.registered["config_defaults"]:
        config.add_defaults(app, defaults)
    for _, command in host.items("register_commands"):
        app.cli.add_command(command)
    for _, blueprint in host.items("register_blueprints"):
        app.register_blueprint(blueprint)
    return host


def host():
    from flask import current_app

    return current_app.extensions["xiuhua.plugins"]


def menu(user):
    """The navigation for one user, from every plugin's menu_items (the core's included)."""
    return sorted(host().collect("menu_items", user=user), key=lambda item: item.order)
