"""The two meta-tests that keep the plugin API honest: every hook in core/hookspecs.py is
documented in docs/plugins.md under its exact signature, and every hook is exercised by a test."""

import inspect
import re
from datetime import datetime
from pathlib import Path

from core import clock, demo, hookspecs
from core.db import db, upgrade
from core.workorders.jobs import supervise
from tests.support import GOOD_PLUGINS
from tests.workorder_support import build_city, report, to_dispatched

ROOT = Path(__file__).resolve().parent.parent


def hookspec_signatures() -> dict[str, str]:
    return {
        name: f"{name}({', '.join(inspect.signature(fn).parameters)})"
        for name, fn in vars(hookspecs).items()
        if inspect.isfunction(fn) and hasattr(fn, "xiuhua_spec")
    }


def test_every_hook_is_documented_under_its_exact_signature():
    documented = set(re.findall(r"^### `([a-z_]+\([^)]*\))`", (ROOT / "docs/plugins.md").read_text(), re.M))
    expected = set(hookspec_signatures().values())
    assert expected - documented == set(), "hooks missing from docs/plugins.md"
    assert {d for d in documented if d.split("(")[0] in {s.split("(")[0] for s in expected}} == expected


def test_every_hook_is_exercised(make_app):
    app = make_app(PLUGINS_DIR=GOOD_PLUGINS)
    recorder = app.extensions["xiuhua.plugins"].get_plugin("recorder")
    city = build_city()
    client = app.test_client()
    client.post("/login", data={"username": "dispatcher", "password": "correct-horse-9"})
    home = client.get("/").get_data(as_text=True)
    assert "Recorder sees dispatcher" in home  # dashboard_widgets, through its own template
    assert 'href="/recorder/"' in home  # menu_items
    assert re.search(r'data-indicator="recorder.things">\s*<th scope="row">Recorded things</th>\s*<td>7</td>', home)
    assert app.test_cli_runner().invoke(args=["recorder-hello"]).output == "hello from recorder\n"  # register_commands
    assert app.config["RECORDER_STARTED"]  # startup
    assert "recorder.tick" in app.extensions["xiuhua.jobs"]  # register_jobs
    with app.app_context(), db.connection_context():
        from core.org import Role

        clerk = Role.get(Role.code == "recorder_clerk")  # register_roles
        assert clerk.permission_names() == {"recorder.view", "dashboard.view"}
        demo.load(app, force=True)  # demo_data
        assert recorder.models.Note.select().count() == 1  # register_migrations made the table
        with clock.frozen(datetime(2026, 11, 30, 8, 0)):
            order = to_dispatched(city, report(city))  # workorder_created, workorder_transitioned
        with clock.frozen(datetime(2026, 11, 30, 14, 30)):
            supervise()  # notify: the case is overdue
    case_page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"Recorder notes on {order.number}" in case_page  # workorder_panels
    assert app.config["RECORDER_LIMIT"] == 3  # config_defaults
    with app.app_context(), db.connection_context():
        from core.catalogue.models import Category

        assert Category.select().where(Category.code == "9901").count() == 2  # register_categories
    with app.test_request_context(), db.connection_context():  # register_audit_actions
        from core import audit
        from core.admin.audit_log import actions

        entry = audit.record("recorder.note", "note", 5, "第一条")
        told = audit.tell(entry, actions(), {})
        assert str(told.sentence) == 'noted <a href="/recorder/?note=5">第一条</a>'
    grid_page = client.get(f"/grids/{city.grid.id}").get_data(as_text=True)
    assert f"Recorder notes on grid {city.grid.code}" in grid_page  # grid_sections
    assert f"/recorder/layer.geojson?area={city.grid.id}" in grid_page  # map_layers, on a grid's map
    with app.app_context(), db.connection_context():
        from core.components.models import Component

        component = Component.create(
            code="4306020101000001", name="上水井盖", category=city.category, status="intact",
            longitude=113.105, latitude=29.305, grid=city.grid,
        )  # fmt: skip
    component_page = client.get(f"/components/{component.id}").get_data(as_text=True)
    assert "Recorder notes on component 4306020101000001" in component_page  # component_sections
    assert "/recorder/layer.geojson?area=" in client.get("/grids/").get_data(as_text=True)  # and the city's
    assert client.get("/grids/map.geojson?measure=recorder_notes").status_code == 200  # map_measures
    with app.app_context(), db.connection_context():
        from core import map_layers as maps
        from core.exports.kinds import kinds as export_kinds
        from core.importing import pages as import_pages

        assert "recorder_notes" in maps.measures()
        assert "recorder_notes" in export_kinds()  # register_exports
        assert "recorder" in import_pages.kinds()  # register_imports
    upgrade(app)  # upgrade_steps (it opens its own connection, as `flask db upgrade` does)
    assert recorder.UPGRADED[-1] == "recorder.upgraded"
    assert set(recorder.CALLS) >= set(hookspec_signatures()), "hooks never called"
