"""The zombie-car campaign (僵尸车专项整治): a vehicle registry, survey rounds, owner contacts,
printable notices, and tow orders opened by a daily job when a notice runs out. Written against the
plugin API only (docs/plugins.md), as any third-party plugin would be."""

from pathlib import Path

from flask_babel import lazy_gettext as _l

from core.api import AttachmentSubject, JobSpec, MenuItem, Panel, Widget, hookimpl

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
        # An advertising vehicle's notice, and a joint clearance action's, rest on the outdoor-advertising rules.
        "ZOMBIE_ADVERTISING_LEGAL_BASIS": (
            "依据《城市市容和环境卫生管理条例》第十一条、第三十六条及本市户外广告设置管理相关规定，"
            "未经批准利用停放车辆设置户外广告，影响市容和通行秩序。请车辆所有人或管理人在期限内自行撤除广告"
            "并将车辆移走；逾期未撤除、未移走的，将依法予以清理、拖移，由此产生的费用由车辆所有人承担。"
        ),
    }


@hookimpl
def register_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def register_blueprints():
    from . import joint_views, rounds_views, vehicle_actions  # noqa: F401 - their routes join the blueprint
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
        {
            "name": "zombie_cars.owner",
            "label": _l("Read zombie-car owners' names, phones and ID numbers, and record them"),
            "roles": ["admin", "shift_leader", "dispatcher"],
        },
        {
            "name": "zombie_cars.approve_early_tow",
            "label": _l("Approve towing a zombie car early when its owner refused"),
            "roles": ["shift_leader"],
        },
    ]


@hookimpl
def register_exports():
    from .export import EXPORT

    return [EXPORT]


@hookimpl
def register_jobs():
    from .towing import tow_overdue

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
    from .towing import on_transition

    on_transition(workorder, event)


@hookimpl
def notification_subjects():
    from core.api import NotificationSubject, audit

    from .models import Vehicle

    kinds = {
        "zombie-merge": _l("A vehicle registered again, to merge into its record"),
        "zombie-early-tow": _l("A request to tow a vehicle before its notice runs out"),
    }
    return [
        NotificationSubject("zombie_car", audit.link_to("zombie_cars.vehicle", id_arg="vehicle_id"), Vehicle, kinds)
    ]


@hookimpl
def register_audit_actions():
    from flask import url_for

    from core.api import AuditAction

    from .models import CONTACT_RESULTS, EARLY_TOW_STATUSES, JOINT_RESULTS, STAGES, VEHICLE_TYPES

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
        "photos": _l("Photos"), "registered_by": _l("Registered by"), "result": _l("Result"),
        "owner_name": _l("Vehicle owner"), "owner_phone": _l("Owner's phone"), "owner_id_number": _l("Owner's ID number"),
        "reason": _l("Reason"), "status": _l("Status"), "early": _l("Early tow"), "action": _l("Joint action"),
        "closed_at": _l("Round closed"), "missing": _l("Districts with no vehicle surveyed"),
    }  # fmt: skip
    values = {
        "stage": STAGES, "type": VEHICLE_TYPES, "result": {**CONTACT_RESULTS, **JOINT_RESULTS},
        "status": EARLY_TOW_STATUSES,
    }  # fmt: skip
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
        ("zombie_cars.owner", _l("recorded the owner of the vehicle %(object)s")),
        ("zombie_cars.early_tow_request", _l("asked to tow the vehicle early, its owner having refused: %(object)s")),
        ("zombie_cars.early_tow_approve", _l("approved towing the vehicle early: %(object)s")),
        ("zombie_cars.early_tow_reject", _l("rejected towing the vehicle early: %(object)s")),
        ("zombie_cars.joint_result", _l("recorded a joint clearance action's result for %(object)s")),
    ]

    def rounds_page(_id):
        return url_for("zombie_cars.rounds")

    def action(action_id):
        return url_for("zombie_cars.joint_action", action_id=int(action_id)) if str(action_id).isdigit() else None

    others = [
        AuditAction("zombie_cars.round", _l("added the survey round %(object)s"), rounds_page),
        AuditAction("zombie_cars.round_close", _l("closed the survey round %(object)s"), rounds_page, fields),
        AuditAction("zombie_cars.joint_action", _l("planned the joint clearance action %(object)s"), action, fields),
    ]
    return [AuditAction(code, sentence, vehicle, fields, values) for code, sentence in told] + others


@hookimpl
def demo_data(ctx):
    from .demo import load

    load(ctx)


@hookimpl
def attachment_subjects():
    from .models import VEHICLE
    from .service import may_view_photos

    return [AttachmentSubject(VEHICLE, _l("Zombie car"), may_view_photos)]
