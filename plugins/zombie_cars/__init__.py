"""The zombie-car campaign (僵尸车专项整治): a vehicle registry, survey rounds, owner contacts,
printable notices, and tow orders opened by a daily job when a notice runs out. Written against the
plugin API only (docs/plugins.md), as any third-party plugin would be."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import MenuItem, Panel, Widget
from core.scheduler import JobSpec

__version__ = "1.0.0"

CENTRE = ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader"]


@hookimpl
def config_defaults():
    return {
        "ZOMBIE_NOTICE_DAYS": 7,  # calendar days the owner has after the notice is posted
        "ZOMBIE_TOW_DEPARTMENT": "parking",  # department code tow orders are dispatched to
        "ZOMBIE_ISSUING_OFFICE": "城市管理综合执法局",
        "ZOMBIE_NOTICE_WORD": "城管移车告字",  # the notice's document word: 城管移车告字〔2026〕第0001号
        "ZOMBIE_OFFICE_ADDRESS": "",  # printed on the notice; empty leaves a line to write on
        "ZOMBIE_OFFICE_PHONE": "",
        "ZOMBIE_LEGAL_BASIS": (
            "依据《中华人民共和国道路交通安全法》第五十六条、《城市市容和环境卫生管理条例》"
            "第十四条及本市机动车停放管理相关规定，长期停放、无人管理的车辆影响市容和通行秩序。"
            "请车辆所有人或管理人在期限内自行将车辆移走；逾期未移走的，将依法拖移至指定停放场所，"
            "由此产生的费用由车辆所有人承担。"
        ),
    }


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def register_permissions():
    return [
        {
            "name": "zombie_cars.view",
            "label": _l("See the zombie-car campaign"),
            "roles": [*CENTRE, "collector", "handler", "dept_head"],
        },
        {
            "name": "zombie_cars.manage",
            "label": _l("Register zombie cars, post notices, record contacts and outcomes"),
            "roles": ["admin", "shift_leader", "dispatcher", "collector"],
        },
    ]


@hookimpl
def register_exports():
    from .export import EXPORT

    return [EXPORT]


@hookimpl
def register_jobs():
    from .service import tow_overdue

    return [
        JobSpec(
            "zombie_cars.tow_overdue",
            _l("Open tow orders for zombie cars whose notice has run out"),
            tow_overdue,
            cron="30 6 * * *",
        )
    ]


@hookimpl
def register_categories():
    return [
        {
            "kind": "event",
            "class_code": "90",
            "class_name": "专项整治",
            "code": "9001",
            "name": "僵尸车拖移",
            "department": "parking",
            "standards": [
                {
                    "filing_condition": "告知期满车辆仍未移走",
                    "limit": "3工作日",
                    "closing_condition": "车辆已拖移至指定停放场所",
                    "handling_unit": "停车管理办公室",
                },
            ],
        }
    ]


@hookimpl
def menu_items(user):
    if user.can("zombie_cars.view"):
        return [MenuItem(_l("Zombie cars"), "zombie_cars.index", order=30)]
    return []


@hookimpl
def dashboard_widgets(user):
    if not user.can("zombie_cars.view"):
        return []
    from .service import counts, visible_vehicles

    return [Widget(_l("Zombie-car campaign"), "zombie_cars/_widget.html", counts(visible_vehicles(user)), order=40)]


@hookimpl
def workorder_panels(workorder, user):
    if workorder.source != "campaign":
        return []
    from .models import Notice

    notice = Notice.get_or_none(Notice.tow_order == workorder.id)
    if notice is None:
        return []
    return [
        Panel(
            _l("Zombie car"),
            "zombie_cars/_panel.html",
            {"vehicle": notice.vehicle, "notice": notice, "may_view": user.can("zombie_cars.view")},
        )
    ]


@hookimpl
def workorder_transitioned(workorder, event):
    from .service import on_transition

    on_transition(workorder, event)


@hookimpl
def register_audit_actions():
    from flask import url_for

    from core.audit import AuditAction

    from .models import STAGES, VEHICLE_TYPES

    def vehicle(vehicle_id):
        return url_for("zombie_cars.vehicle", vehicle_id=int(vehicle_id)) if str(vehicle_id).isdigit() else None

    fields = {
        "stage": _l("Stage"), "plate": _l("Plate"), "type": _l("Vehicle type"), "colour": _l("Colour"),
        "brand": _l("Brand"), "address": _l("Address"), "grid": _l("Unit grid"), "longitude": _l("Longitude"),
        "latitude": _l("Latitude"), "dusty": _l("Dusty"), "flat_tyres": _l("Flat tyres"),
        "days_unmoved": _l("Days unmoved"), "advertising": _l("Used for advertising"),
        "survey_round": _l("Survey round"), "notice": _l("Notice"), "deadline": _l("Deadline"),
        "outcome": _l("Outcome"), "promised_on": _l("Promised to move it by"), "note": _l("Note"),
        "orders_ended": _l("Tow orders ended"), "order": _l("Tow order"), "notes": _l("Notes"),
        "photos": _l("Photos"), "registered_by": _l("Registered by"),
    }  # fmt: skip
    values = {"stage": STAGES, "type": VEHICLE_TYPES}
    told = [
        ("zombie_cars.register", _l("registered the vehicle %(object)s")),
        ("zombie_cars.edit", _l("changed the vehicle %(object)s")),
        ("zombie_cars.notify", _l("posted a notice on the vehicle %(object)s")),
        ("zombie_cars.contact", _l("recorded a call with the owner: %(object)s")),
        ("zombie_cars.outcome", _l("ended the case of the vehicle %(object)s")),
        ("zombie_cars.tow_order", _l("ordered the vehicle towed: %(object)s")),
        ("zombie_cars.towed", _l("recorded the vehicle towed: %(object)s")),
        ("zombie_cars.towed_reverted", _l("took back the towing of %(object)s")),
        ("zombie_cars.duplicate", _l("registered a plate already on record, passed to the centre: %(object)s")),
    ]
    rounds = AuditAction(
        "zombie_cars.round", _l("added the survey round %(object)s"), lambda _id: url_for("zombie_cars.rounds")
    )
    return [AuditAction(code, sentence, vehicle, fields, values) for code, sentence in told] + [rounds]


@hookimpl
def demo_data(ctx):
    from .demo import load

    load(ctx)
