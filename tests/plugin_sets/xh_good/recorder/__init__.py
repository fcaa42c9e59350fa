"""A test plugin that implements every hook and records each call, so tests/test_hook_contract.py
can prove every hook in core/hookspecs.py is exercised. CALLS holds the calls since the last
application was created: config_defaults, the first hook create_app calls, starts it afresh."""

from pathlib import Path

import click
from flask import Blueprint

from core.api import (
    AttachmentSubject,
    GridSection,
    ImportKind,
    Indicator,
    JobSpec,
    MapLayer,
    Measure,
    MenuItem,
    Panel,
    UpgradeStep,
    Widget,
    exports,
    hookimpl,
    requires,
    xlsx,
)

__version__ = "1.2.3"

CALLS: list[str] = []
UPGRADED: list[str] = []  # what the upgrade step did, across applications
bp = Blueprint(
    "recorder",
    __name__,
    url_prefix="/recorder",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.route("/")
@requires("recorder.view")
def index():
    return "recorder page"


def tick():
    CALLS.append("job ran")
    return "ticked"


@hookimpl
def register_migrations():
    CALLS.append("register_migrations")
    return Path(__file__).parent / "migrations"


@hookimpl
def register_blueprints():
    CALLS.append("register_blueprints")
    return [bp]


@hookimpl
def register_commands(cli):
    CALLS.append("register_commands")

    @cli.command("recorder-hello")
    def hello():
        click.echo("hello from recorder")


@hookimpl
def register_permissions():
    CALLS.append("register_permissions")
    return [{"name": "recorder.view", "label": "See the recorder", "roles": ["dispatcher"]}]


@hookimpl
def register_roles():
    CALLS.append("register_roles")
    return [{"code": "recorder_clerk", "name": "Recorder clerk", "permissions": ["recorder.view", "dashboard.view"]}]


@hookimpl
def register_jobs():
    CALLS.append("register_jobs")
    return [JobSpec("recorder.tick", "Recorder tick", tick, cron="0 6 * * *")]


@hookimpl
def register_audit_actions():
    from core.audit import AuditAction

    CALLS.append("register_audit_actions")
    return [AuditAction("recorder.note", "noted %(object)s", link=lambda note_id: f"/recorder/?note={note_id}")]


@hookimpl
def config_defaults():
    CALLS[:] = ["config_defaults"]
    return {"RECORDER_GREETING": "hello", "RECORDER_LIMIT": 3}


@hookimpl
def register_categories():
    CALLS.append("register_categories")
    return [
        {
            "kind": "event",
            "class_code": "99",
            "class_name": "Recorder campaign",
            "code": "9901",
            "name": "Recorded thing",
            "department": "sanitation",
            "standards": [{"filing_condition": "A thing is recorded", "limit": "2工作日", "closing_condition": "Gone"}],
        }
    ]


@hookimpl
def menu_items(user):
    CALLS.append("menu_items")
    return [MenuItem("Recorder", "recorder.index", order=50)] if user.can("recorder.view") else []


@hookimpl
def dashboard_widgets(user):
    CALLS.append("dashboard_widgets")
    return [Widget("Recorder widget", "recorder/_widget.html", {"who": user.username}, order=5)]


@hookimpl
def workorder_panels(workorder, user):
    CALLS.append("workorder_panels")
    return [Panel("Recorder panel", "recorder/_panel.html", {"number": workorder.number})]


@hookimpl
def demo_data(ctx):
    CALLS.append("demo_data")
    from .models import Note

    Note.get_or_create(text=f"demo note for {len(ctx.areas)} areas")


@hookimpl
def register_exports():
    CALLS.append("register_exports")
    return [exports.Kind("recorder_notes", lambda user, params: [xlsx.Sheet("Notes", ["Text"], [["a note"]])])]


@hookimpl
def register_imports():
    CALLS.append("register_imports")
    # registered only: the contract test serves no upload
    return [ImportKind("recorder", None, None, "recorder", "read", lambda form: {})]


@hookimpl
def map_measures():
    CALLS.append("map_measures")
    return [
        Measure("recorder_notes", "Recorder notes", lambda user: {}, available=lambda user: user.can("recorder.view"))
    ]


@hookimpl
def register_indicators():
    CALLS.append("register_indicators")
    return [Indicator("recorder.things", "Recorded things", lambda start, end: 7, permission="recorder.view")]


@hookimpl
def attachment_subjects():
    CALLS.append("attachment_subjects")
    return [AttachmentSubject("recorder.note", "Note", lambda user, note_id: user.can("recorder.view"))]


@hookimpl
def upgrade_steps():
    CALLS.append("upgrade_steps")
    return [UpgradeStep("recorder.upgraded", lambda: UPGRADED.append("recorder.upgraded"))]


@hookimpl
def grid_sections(grid, user):
    CALLS.append("grid_sections")
    return [GridSection("recorder", "Recorder section", "recorder/_grid_section.html", {"code": grid.code}, 5)]


@hookimpl
def component_sections(component, user):
    CALLS.append("component_sections")
    return [
        GridSection("recorder", "Recorder section", "recorder/_component_section.html", {"code": component.code}, 5)
    ]


@hookimpl
def map_layers(user, area):
    CALLS.append("map_layers")
    return [MapLayer("Recorder layer", f"/recorder/layer.geojson?area={area.id if area else ''}")]


@hookimpl
def startup(app):
    CALLS.append("startup")
    app.config["RECORDER_STARTED"] = True


@hookimpl
def workorder_created(workorder):
    CALLS.append("workorder_created")


@hookimpl
def workorder_transitioned(workorder, event):
    CALLS.append("workorder_transitioned")


@hookimpl
def notify(user, message, workorder):
    CALLS.append("notify")


@hookimpl
def notification_subjects():
    from core.plugins import NotificationSubject

    CALLS.append("notification_subjects")
    return [
        NotificationSubject("recorder.note", lambda note_id: f"/recorder/?note={note_id}", kinds={"note": "A note"})
    ]
