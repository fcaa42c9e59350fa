"""The plugin host: built-ins, then installed packages (entry-point group "xiuhua"), then the
plugins/ folder. A plugin that fails to import or register, or requires one that is not there
(`__requires__`), is disabled and reported, never fatal."""

import importlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
import pluggy

import core
from core import config, hookspecs, plugin_checks, web
from core.db import db

log = logging.getLogger(__name__)

# Core modules that implement hooks exactly as plugins do (each is listed on /admin/plugins).
BUILTINS = [
    "core.builtin",
    "core.exports",
    "core.catalogue",
    "core.worktime",
    "core.photos",
    "core.notifications",
    "core.attachments",
    "core.workorders",
    "core.grids",
    "core.maps",
    "core.responsibility",
    "core.components",
    "core.dashboard",
    "core.evaluation",
    "core.health",
    "core.backup",
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
    "register_exports",
    "register_imports",
    "map_measures",
    "register_indicators",
    "notification_subjects",
    "attachment_subjects",
]
# `flask` sub-commands the core and Flask define outside the hooks; no plugin may take these names.
RESERVED_COMMANDS = ["db", "scheduler", "demo", "serve", "plugins", "run", "shell", "routes"]


@dataclass
class MenuItem:
    label: str
    endpoint: str
    order: int = 100
    icon: str = ""
    group: str = ""  # items with the same group are shown together under an "admin"-style heading


@dataclass
class NotificationSubject:
    """What notifications about one kind of subject link to (hook notification_subjects): `link(id)` → the
    subject's URL or None; `model`, the subject's peewee model (so notify() takes its rows); `kinds`,
    {notification kind: label} a person may choose to receive in the app only."""

    kind: str
    link: Callable[[int], str | None]
    model: type | None = None
    kinds: dict = field(default_factory=dict)


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
class GridSection:
    """A section of the grid page, from a `grid_sections(grid, user)` hook: a title, a template and the
    context it sees as `ctx`, and `order` (lower first). `key` is the section's HTML id (`section-<key>`)."""

    key: str
    title: object
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


@dataclass
class MapLayer:
    """A layer of a map of unit grids, from a `map_layers(user, area)` hook: a GeoJSON URL of the same
    origin drawn as "points" (pins, `cluster`ed or not) or "areas" (outlines); `fit` zooms the map to
    it; `visible` False leaves it switched off in the layer control at first."""

    name: object
    url: str
    kind: str = "points"
    cluster: bool = False
    fit: bool = False
    visible: bool = True

    def as_dict(self) -> dict:
        return {
            "name": str(self.name),
            "url": self.url,
            "kind": self.kind,
            "cluster": self.cluster,
            "fit": self.fit,
            "visible": self.visible,
        }


@dataclass
class Indicator:
    """A figure a plugin adds to the evaluation, from a `register_indicators()` hook: `value(start, end)`
    returns the whole city's number for the period [start, end) (naive datetimes in TIMEZONE), or None
    when it has none. Shown to users holding `permission`; `definition` says what is counted; `rate`
    True shows a 0..1 value as a percentage. `code` is unique across plugins ("<plugin>.<figure>")."""

    code: str
    label: object
    value: object
    definition: object = ""
    permission: str = "evaluation.view"
    rate: bool = False
    order: int = 100


@dataclass
class UpgradeStep:
    """Work `flask db upgrade` does after every migration has run, from an `upgrade_steps()` hook: `run()`
    is called with the application context pushed, in a transaction of its own, plugin by plugin in load
    order. It runs on every upgrade, so it must be idempotent (and cheap when there is nothing to do);
    with `once` True it runs until it has succeeded once (recorded by `name` in `upgrade_step_done`)."""

    name: str
    run: object
    once: bool = False


@dataclass
class PluginInfo:
    name: str
    source: str  # "builtin", "entry point", "folder"
    version: str = ""
    status: str = "enabled"  # enabled, disabled (by configuration), failed
    error: str = ""
    hooks: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)  # the module's __requires__: names of other plugins

    @property
    def error_summary(self) -> str:
        """The exception at the end of the error's traceback, after the host's own explanation when it
        gave one."""
        lines = [line.strip() for line in self.error.strip().splitlines() if line.strip()]
        if not lines:
            return ""
        first, last = lines[0].rstrip(":"), lines[-1]
        return last if first == last or first.startswith("Traceback") else f"{first}: {last}"


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
        plugin_checks.check_requirements(self)

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
            info.requires = plugin_checks.requirements(module)
            plugin_checks.refuse_ordering(self, module)
            self.register(module, name=name)
            self.check_pending()
        except plugin_checks.PluginRefused as refused:
            self.fail(name, str(refused))
            return
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
                if hook_name in REGISTRATION_HOOKS:
                    self.fail(impl.plugin_name, traceback.format_exc())
                else:
                    log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)
                continue
            yield impl.plugin_name, result

    def fire(self, hook_name: str, **kwargs):
        """Tell every plugin of an event (workorder_*, notify) once the caller's transaction has committed, or
        at once outside one; never if it rolls back. Each listener runs in a transaction of its own:
        one that raises is rolled back and logged, and the others still run."""
        if getattr(self.hook, hook_name).get_hookimpls():  # the demo fires thousands: queue none for nobody
            db.after_commit(lambda: self._tell_each(hook_name, kwargs))

    def _tell_each(self, hook_name: str, kwargs: dict):
        for impl in getattr(self.hook, hook_name).get_hookimpls():
            try:
                with db.atomic():
                    impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)

    def collect(self, hook_name: str, **kwargs) -> list:
        """Flatten the lists every plugin returned from a hook."""
        return [item for _, items in self.call_each(hook_name, **kwargs) for item in items]

    def register_all(self, taken_commands=()):
        """Call every registration hook once. A plugin that fails in any of them, or returns an item
        without its id, is disabled and nothing it returned from the others is used. Ids must be
        unique across plugins (commands also against `taken_commands`). Fills self.registered."""
        results = {hook: self.call_each(hook) for hook in REGISTRATION_HOOKS}
        results["register_commands"] = self._stage_commands()
        plugin_checks.fail_items_without_id(self, results)
        plugin_checks.check_requirements(self)
        alive = {name for name, info in self.infos.items() if info.status == "enabled"}
        self.registered = {hook: [(p, r) for p, r in pairs if p in alive] for hook, pairs in results.items()}
        plugin_checks.check_unique(self, taken_commands)

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

    def translation_dirs(self) -> list[Path]:
        """The catalogue of every enabled plugin that is a package with a `translations/` folder beside
        its `__init__.py` (folder plugins and installed packages alike), in load order."""
        found = []
        for name, info in self.infos.items():
            module = self.get_plugin(name) if info.status == "enabled" else None
            for folder in getattr(module, "__path__", None) or []:
                if (Path(folder) / "translations").is_dir():
                    found.append(Path(folder) / "translations")
        return found


FOLDER_PACKAGE = "xiuhua_plugins"


def _import_from_folder(path: Path):
    """A folder plugin, imported as `xiuhua_plugins.<folder name>`: whatever its folder and the folder
    above are called, it cannot take an installed module's name or be taken by one. A module already
    imported from the same file (tests import `plugins.zombie_cars`) is that plugin: importing it twice
    would make two sets of its model classes."""
    init = os.path.realpath(path / "__init__.py")
    suffix = os.sep + os.path.join(path.name, "__init__.py")
    name = f"{FOLDER_PACKAGE}.{path.name}"
    for module in [sys.modules.get(name), *list(sys.modules.values())]:
        where = getattr(module, "__file__", None) or ""
        if where.endswith(suffix) and os.path.realpath(where) == init:
            return module
    package = sys.modules.get(FOLDER_PACKAGE)
    if package is None:
        package = types.ModuleType(FOLDER_PACKAGE, "Folder plugins, each under its folder's name (core.plugins).")
        package.__path__ = []
        sys.modules[FOLDER_PACKAGE] = package
    for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[loaded]  # a plugin of that name from another folder (tests load several)
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    setattr(package, path.name, module)
    return module


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
    web.add_translation_directories(app, host.translation_dirs())
    return host


def host():
    from flask import current_app

    return current_app.extensions["xiuhua.plugins"]


def menu(user):
    """The navigation for one user, from every plugin's menu_items (the core's included)."""
    return sorted(host().collect("menu_items", user=user), key=lambda item: item.order)
