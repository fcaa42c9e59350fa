"""The campaign's Excel export (kind "zombie_cars" of core/exports.py): the vehicles the list shows, with
their latest notice and tow order, read page by page, and a sheet of the campaign's figures."""

from flask_babel import gettext as _
from peewee import JOIN

from core import clock, exports, xlsx
from core.areas import Area
from core.workorders.models import WorkOrder

from . import service
from .models import Notice, Vehicle

KIND = "zombie_cars"


def _fetch(page_ids: list) -> dict:
    latest = {}
    notices = (
        Notice.select(Notice, WorkOrder)
        .join(WorkOrder, JOIN.LEFT_OUTER)
        .where(Notice.vehicle.in_(page_ids))
        .order_by(Notice.issued_on, Notice.id)
    )
    for notice in notices:
        latest[notice.vehicle_id] = notice
    vehicles = Vehicle.select(Vehicle, Area).join(Area, JOIN.LEFT_OUTER).where(Vehicle.id.in_(page_ids))
    yes = _("yes")
    rows = {}
    for v in vehicles:
        notice = latest.get(v.id)
        rows[v.id] = [
            str(v.plate_text),
            str(v.type_label),
            v.colour,
            v.brand,
            v.address,
            v.grid.code if v.grid_id else "",
            v.grid.name if v.grid_id else "",
            yes if v.dusty else "",
            yes if v.flat_tyres else "",
            v.days_unmoved,
            yes if v.advertising else "",
            str(v.stage_label),
            v.reported_at,
            notice.number if notice else "",
            notice.deadline.isoformat() if notice else "",
            notice.tow_order.number if notice and notice.tow_order_id else "",
            v.outcome_at,
        ]
    return rows


def sheets(user, params: dict) -> list[xlsx.Sheet]:
    from .views import filtered

    query = filtered(user, params)
    headers = [
        _("Plate"), _("Type"), _("Colour"), _("Brand"), _("Location"), _("Grid code"), _("Grid"), _("Dusty"),
        _("Flat tyres"), _("Days unmoved"), _("Advertising"), _("Stage"), _("Registered"), _("Notice"),
        _("Deadline"), _("Tow order"), _("Outcome at"),
    ]  # fmt: skip
    rows = exports.in_pages(query.select(Vehicle.id).tuples(), _fetch)
    vehicles = xlsx.Sheet(_("Vehicles"), headers, rows, total=query.count())
    figures = service.counts(service.visible_vehicles(user))
    summary = xlsx.Sheet(
        _("Summary"),
        [_("Figure"), _("Vehicles")],
        [
            [_("Surveyed"), figures["surveyed"]],
            [_("Notified"), figures["notified"]],
            [_("Moved by owners"), figures["moved"]],
            [_("Towed"), figures["towed"]],
            [_("Advertising vehicles cleared"), figures["advertising_cleared"]],
        ],
        notes=[_("Exported %(at)s", at=clock.now().strftime("%Y-%m-%d %H:%M"))],
    )
    return [vehicles, summary]


exports.register(exports.Kind(KIND, sheets, permission="zombie_cars.view"))
