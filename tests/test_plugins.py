"""The plugin host: folder plugins, entry points, configuration, and failures that stay contained."""

import pytest
from flask import url_for

from core.db import db
from core.plugins import BUILTINS, PluginHost
from tests.support import BROKEN_PLUGINS as BROKEN
from tests.support import GOOD_PLUGINS as GOOD
from tests.support import PLUGIN_SETS


def infos(app):
    return app.extensions["xiuhua.plugins"].infos


def test_folder_plugin_is_loaded_with_its_version_and_hooks(make_app):
    app = make_app(PLUGINS_DIR=GOOD)
    info = infos(app)["recorder"]
    assert (info.status, info.source, info.version) == ("enabled", "folder", "1.2.3")
    assert "register_blueprints" in info.hooks and "menu_items" in info.hooks
    assert infos(app)["builtin"].status == "enabled"


def test_plugin_blueprint_menu_and_permission_work(make_app, users):
    app = make_app(PLUGINS_DIR=GOOD)
    client = app.test_client()
    client.post("/login", data={"username": "dispatcher", "password": "correct-horse-9"})
    # register_permissions granted recorder.view to dispatchers on first sight.
    assert client.get("/recorder/").get_data(as_text=True) == "recorder page"
    assert 'href="/recorder/"' in client.get("/").get_data(as_text=True)


def test_plugin_static_files_and_templates_live_under_its_own_namespace(make_app, users):
    app = make_app(PLUGINS_DIR=GOOD)
    with app.test_request_context():
        assert url_for("recorder.static", filename="recorder.css") == "/recorder/static/recorder.css"
    client = app.test_client()
    css = client.get("/recorder/static/recorder.css")  # public, like the core's static files
    assert css.status_code == 200 and css.mimetype == "text/css" and b".recorder" in css.data
    assert client.get("/recorder/static/missing.css").status_code == 404
    client.post("/login", data={"username": "dispatcher", "password": "correct-horse-9"})
    # templates/recorder/_widget.html is found as "recorder/_widget.html" beside the core's templates
    assert "Recorder sees dispatcher" in client.get("/").get_data(as_text=True)


def test_broken_plugins_are_disabled_and_the_app_keeps_serving(make_app, users):
    app = make_app(PLUGINS_DIR=BROKEN)
    found = infos(app)
    assert found["bad_import"].status == "failed"
    assert "bad_import cannot find its dependency" in found["bad_import"].error
    assert found["bad_register"].status == "failed"
    assert "bad_register exploded" in found["bad_register"].error
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "correct-horse-9"})
    # bad_menu raises on every page: it is left out of the menu, the page still renders.
    assert client.get("/").status_code == 200
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "bad_import" in page and "bad_register exploded" in page


def test_a_plugin_failing_in_a_later_registration_hook_registers_nothing(make_app):
    app = make_app(PLUGINS_DIR=BROKEN)
    assert infos(app)["half_bad"].status == "failed"
    assert "cannot declare its jobs" in infos(app)["half_bad"].error
    assert "half_bad.index" not in app.view_functions
    assert app.test_client().get("/half-bad/").status_code == 404


def test_a_plugin_failing_in_register_commands_adds_no_command_and_no_page(make_app):
    app = make_app(PLUGINS_DIR=BROKEN)
    assert infos(app)["bad_command"].status == "failed"
    assert "bad-command-hello" not in app.cli.commands
    assert "bad_command.index" not in app.view_functions


def test_a_registration_item_without_its_id_disables_the_plugin(make_app):
    app = make_app(PLUGINS_DIR=BROKEN)
    assert infos(app)["no_id"].status == "failed"
    assert "without its id" in infos(app)["no_id"].error


def test_a_plugin_command_may_not_take_a_core_command_name(make_app, tmp_path):
    folder = tmp_path / "xh_cmdclash" / "clash"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(
        "from core.hookspecs import hookimpl\n"
        "@hookimpl\n"
        "def register_commands(cli):\n"
        "    @cli.command('db')\n"
        "    def db():\n"
        "        pass\n"
    )
    with pytest.raises(RuntimeError, match="'db' is registered by both the core and clash"):
        make_app(PLUGINS_DIR=str(folder.parent))


def test_plugin_disabled_by_configuration_is_not_loaded(make_app):
    app = make_app(PLUGINS_DIR=GOOD, PLUGINS_DISABLED=["recorder"])
    assert infos(app)["recorder"].status == "disabled"
    assert "recorder.index" not in app.view_functions


def test_entry_point_plugins_are_discovered(make_app, tmp_path, monkeypatch):
    (tmp_path / "xh_ep_demo.py").write_text(
        "from core.hookspecs import hookimpl\n"
        "from core.plugins import MenuItem\n"
        "__version__ = '0.9'\n"
        "@hookimpl\n"
        "def menu_items(user):\n"
        "    return [MenuItem('From an entry point', 'home.index', order=60)]\n"
    )
    dist = tmp_path / "xh_ep_demo-0.9.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: xh-ep-demo\nVersion: 0.9\n")
    (dist / "entry_points.txt").write_text("[xiuhua]\nep_demo = xh_ep_demo\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = make_app()
    info = infos(app)["ep_demo"]
    assert (info.status, info.source, info.version) == ("enabled", "entry point", "0.9")


def test_two_plugins_registering_one_blueprint_name_fail_naming_both(make_app, tmp_path, monkeypatch):
    folder = tmp_path / "xh_clash"
    for name in ("first", "second"):
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(
            "from flask import Blueprint\n"
            "from core.hookspecs import hookimpl\n"
            "@hookimpl\n"
            "def register_blueprints():\n"
            "    return [Blueprint('samename', __name__)]\n"
        )
    with pytest.raises(RuntimeError, match="samename.*first and second"):
        make_app(PLUGINS_DIR=str(folder))


def test_plugin_migrations_run_with_their_own_history(make_app):
    make_app(PLUGINS_DIR=GOOD)
    with db.connection_context():
        tables = db.get_tables()
    assert "recorder_note" in tables
    assert "migrations_recorder" in tables and "migrations_core" in tables


def test_host_is_a_pluggy_manager_with_the_hookspecs():
    from flask import Flask

    app = Flask(__name__)
    app.config.update(PLUGINS_DISABLED=[], PLUGINS_DIR="/nonexistent")
    host = PluginHost(app)
    host.load_all()
    assert set(host.infos) == {name.rsplit(".", 1)[-1] for name in BUILTINS}
    assert all(info.source == "builtin" for info in host.infos.values())
    assert host.hook.menu_items.spec is not None


def test_config_defaults_fill_in_under_instance_and_environment_settings(make_app, monkeypatch):
    monkeypatch.setenv("XIUHUA_RECORDER_LIMIT", "9")
    app = make_app(PLUGINS_DIR=GOOD, RECORDER_GREETING="ni hao")
    assert app.config["RECORDER_GREETING"] == "ni hao"  # the override stands
    assert app.config["RECORDER_LIMIT"] == 9  # the environment's string, as the default's type


def test_a_plugin_may_not_default_a_core_setting(make_app, tmp_path):
    folder = tmp_path / "xh_cfg" / "grabby"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(
        "from core.hookspecs import hookimpl\n@hookimpl\ndef config_defaults():\n    return {'TIMEZONE': 'UTC'}\n"
    )
    with pytest.raises(RuntimeError, match="TIMEZONE.*the core and grabby"):
        make_app(PLUGINS_DIR=str(folder.parent))


def test_plugin_categories_are_created_in_every_edition_and_follow_the_plugin(make_app):
    from core.catalogue.models import Category, FilingStandard
    from core.db import upgrade
    from core.org import Department

    app = make_app(PLUGINS_DIR=GOOD)
    with db.connection_context():
        cats = list(Category.select().where(Category.code == "9901").order_by(Category.edition))
        assert [(c.edition, c.kind, c.name, c.default_department_id) for c in cats] == [
            ("2013", "event", "Recorded thing", None),
            ("2026", "event", "Recorded thing", None),
        ]
        parks = Department.create(name="Parks", code="parks", type="professional")
        sanitation = Department.create(name="Sanitation", code="sanitation", type="professional")
        Category.update(default_department=parks).where(Category.edition == "2013", Category.code == "9901").execute()
        FilingStandard.create(
            category=cats[0], seq=9, filing_condition="old row", limit_text="1天", limit_value=1, limit_unit="day"
        )
    upgrade(app)  # a second run: the admin's department stands, the other edition gets the plugin's
    with db.connection_context():
        cats = list(Category.select().where(Category.code == "9901").order_by(Category.edition))
        assert [c.default_department_id for c in cats] == [parks.id, sanitation.id]
        rows = {(s.filing_condition, s.limit_unit, s.active) for s in cats[0].standards}
        assert rows == {("A thing is recorded", "work_day", True), ("old row", "day", False)}


def test_a_category_no_plugin_registers_any_more_is_retired_and_offered_nowhere(make_app, users):
    from core.catalogue.models import Category, search
    from core.db import upgrade

    app = make_app(PLUGINS_DIR=GOOD)
    with app.app_context(), db.connection_context():
        kept = Category.get(Category.edition == "2026", Category.code == "9901")
        # not a plugin's, and out of use by an administrator's choice: no upgrade touches it
        national = Category.create(
            kind="event", edition="2026", class_code="01", class_name="市容环境", code="01001", name="暴露垃圾",
            active=False,
        )  # fmt: skip
    form = lambda application: login_client(application).get("/orders/new").get_data(as_text=True)  # noqa: E731
    assert "Recorded thing" in form(app)
    without = make_app(PLUGINS_DIR=GOOD, PLUGINS_DISABLED=["recorder"])  # a restart without it: upgraded
    with without.app_context(), db.connection_context():
        retired = Category.get_by_id(kept.id)  # kept for the cases filed under it
        assert (retired.retired, retired.active) == (True, False)
        assert [c.code for c in search("99")] == []
    assert "Recorded thing" not in form(without)
    upgrade(app)  # the plugin is back, and so is its category
    with app.app_context(), db.connection_context():
        again = Category.get_by_id(kept.id)
        assert (again.retired, again.active) == (False, True)
        assert Category.get_by_id(national.id).active is False
    assert "Recorded thing" in form(app)


def login_client(app):
    client = app.test_client()
    client.post("/login", data={"username": "collector", "password": "correct-horse-9"})
    return client


def test_plugins_asking_pluggy_for_another_order_or_a_wrapper_are_refused_at_load(make_app):
    app = make_app(PLUGINS_DIR=str(PLUGIN_SETS / "xh_order"))
    found = infos(app)
    assert found["early"].status == "failed"
    assert "hook menu_items is marked tryfirst" in found["early"].error
    assert found["wrapping"].status == "failed"
    assert "hook workorder_created is marked wrapper" in found["wrapping"].error
    assert found["plain"].status == "enabled"
    host = app.extensions["xiuhua.plugins"]
    assert host.get_plugin("early") is None and host.get_plugin("wrapping") is None
    with app.test_request_context():
        labels = [item.label for item in host.collect("menu_items", user=None)]
    assert "Plain" in labels and "Early" not in labels
    listing = app.test_cli_runner().invoke(args=["plugins", "list"]).output
    assert "error: hook menu_items is marked tryfirst" in listing


def test_a_plugin_whose_requirement_is_missing_disabled_or_failed_fails_saying_so(make_app, users):
    app = make_app(PLUGINS_DIR=str(PLUGIN_SETS / "xh_requires"), PLUGINS_DISABLED=["sidekick"])
    found = infos(app)
    reasons = {name: found[name].error for name in found if name.startswith(("needs_", "bad_"))}
    assert reasons == {
        "needs_missing": "requires the plugin 'no_such_plugin', which is not installed",
        "needs_disabled": "requires the plugin 'sidekick', which is disabled (PLUGINS_DISABLED)",
        "needs_failed": "requires the plugin 'broken_base', which failed to load",
        "needs_chain": "requires the plugin 'needs_failed', which failed to load",
        "needs_registered": "requires the plugin 'fails_registering', which failed to load",
        "needs_core": "",
        "bad_requires": "__requires__ must be a list of plugin names, not 'workorders'",
    }
    assert {name: found[name].status for name in ("needs_core", "needs_chain", "sidekick")} == {
        "needs_core": "enabled",
        "needs_chain": "failed",
        "sidekick": "disabled",
    }
    assert app.extensions["xiuhua.plugins"].get_plugin("needs_chain") is None
    listing = app.test_cli_runner().invoke(args=["plugins", "list"]).output
    assert "error: requires the plugin 'sidekick', which is disabled (PLUGINS_DISABLED)" in listing
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": "correct-horse-9"})
    page = admin.get("/admin/plugins").get_data(as_text=True)
    assert "requires the plugin &#39;no_such_plugin&#39;, which is not installed" in page


def test_folder_plugins_are_imported_under_one_package_whatever_their_folder_is_called(make_app, tmp_path):
    folder = tmp_path / "click"  # an installed package's name: "click.hello" would be looked for inside it
    (folder / "hello").mkdir(parents=True)
    (folder / "hello" / "__init__.py").write_text('from .greeting import TEXT\n__version__ = "0.1"\n')
    (folder / "hello" / "greeting.py").write_text('TEXT = "你好"\n')
    app = make_app(PLUGINS_DIR=str(folder))
    assert infos(app)["hello"].status == "enabled", infos(app)["hello"].error
    module = app.extensions["xiuhua.plugins"].get_plugin("hello")
    assert (module.__name__, module.TEXT) == ("xiuhua_plugins.hello", "你好")
