"""The campaign's Excel export (kind "zombie_cars", registered through register_exports): the vehicles the
list shows, with their latest notice and tow order, district, owner (masked for users without zombie_cars.owner)
and last call, read page by page, and a sheet of the campaign's figures in total and by district."""

from flask_babel import gettext as _
from peewee import JOIN

from core.api import Area, clock, exports, xlsx

from . import contacts, owners, service
from .models import CONTACT_RESULTS, STAGES, VEHICLE_TYPES, Notice, OwnerContact, Vehicle

KIND = "zombie_cars"


FIELDS = (
    Vehicle.id,
    Vehicle.plate,
    Vehicle.vehicle_type,
    Vehicle.colour,
    Vehicle.brand,
    Vehicle.address,
    Area.code.alias("grid_code"),
    Area.name.alias("grid_name"),
    Vehicle.dusty,
    Vehicle.flat_tyres,
    Vehicle.days_unmoved,
    Vehicle.advertising,
    Vehicle.stage,
    Vehicle.reported_at,
    Vehicle.outcome_at,
    Vehicle.grid,
    Vehicle.owner_name,
    Vehicle.owner_phone,
    Vehicle.owner_id_number,
)


def _fetcher(user):
    """`fetch(page of vehicle ids) -> {id: row}`, with the labels translated once per export. A tow case's
    number is shown only to a user who may open that case."""
    stages = {key: str(label) for key, label in STAGES.items()}
    types = {key: str(label) for key, label in VEHICLE_TYPES.items()}
    yes, no_plate = _("yes"), _("No plate")
    results = {key: str(label) for key, label in CONTACT_RESULTS.items()}
    full = owners.may_see(user)
    up = contacts.district_of_grid()
    district_names = {area_id: area.name for area_id, area in contacts.districts().items()}
    read = exports.by_ids(lambda ids: Vehicle.select(*FIELDS).join(Area, JOIN.LEFT_OUTER).where(Vehicle.id.in_(ids)))

    def fetch(page_ids: list) -> dict:
        latest = {}
        notices = (
            Notice.select(Notice.vehicle, Notice.number, Notice.deadline, Notice.tow_order)
            .where(Notice.vehicle.in_(page_ids))
            .order_by(Notice.issued_on, Notice.id)
            .namedtuples()
        )
        for notice in notices:
            latest[notice.vehicle] = notice
        calls = {}
        for call in (
            OwnerContact.select(OwnerContact.vehicle, OwnerContact.result)
            .where(OwnerContact.vehicle.in_(page_ids))
            .order_by(OwnerContact.contacted_on, OwnerContact.id)
            .namedtuples()
        ):
            calls[call.vehicle] = call.result
        tow_numbers = service.visible_orders(user, [n.tow_order for n in latest.values() if n.tow_order])
        rows = {}
        for v in read(page_ids):
            notice = latest.get(v.id)
            owner = owners.shown(user, v, full)
            rows[v.id] = [
                v.plate or no_plate,
                types.get(v.vehicle_type, v.vehicle_type),
                v.colour,
                v.brand,
                v.address,
                v.grid_code or "",
                v.grid_name or "",
                yes if v.dusty else "",
                yes if v.flat_tyres else "",
                v.days_unmoved,
                yes if v.advertising else "",
                stages.get(v.stage, v.stage),
                v.reported_at,
                notice.number if notice else "",
                notice.deadline.isoformat() if notice else "",
                tow_numbers.get(notice.tow_order, "") if notice else "",
                v.outcome_at,
                district_names.get(up.get(v.grid), ""),
                *(owner[key] for key in ("name", "phone", "id_number")),
                results.get(calls.get(v.id, ""), ""),
            ]
        return rows

    return fetch


def sheets(user, params: dict) -> list[xlsx.Sheet]:
    from .views import filtered

    query = filtered(user, params)
    headers = [
        _("Plate"), _("Type"), _("Colour"), _("Brand"), _("Location"), _("Grid code"), _("Grid"), _("Dusty"),
        _("Flat tyres"), _("Days unmoved"), _("Advertising"), _("Stage"), _("Registered"), _("Notice"),
        _("Deadline"), _("Tow order"), _("Outcome at"), _("District"), _("Vehicle owner"), _("Owner's phone"),
        _("Owner's ID number"), _("Last call"),
    ]  # fmt: skip
    rows = exports.in_pages(query.select(Vehicle.id).tuples(), _fetcher(user))
    vehicles = xlsx.Sheet(_("Vehicles"), headers, rows, total=query.count())
    figures = service.counts(service.visible_vehicles(user))
    by_district = contacts.figures(service.visible_vehicles(user))
    labels = [_("Surveyed"), _("Contacted"), _("Reached"), _("Moved voluntarily"), _("Towed")]
    summary = xlsx.Sheet(
        _("Summary"),
        [_("Figure"), _("Vehicles")],
        [
            [_("Surveyed"), figures["surveyed"]],
            [_("Notified"), figures["notified"]],
            [_("Moved by owners"), figures["moved"]],
            [_("Towed"), figures["towed"]],
            [_("Advertising vehicles cleared"), figures["advertising_cleared"]],
            [_("Contacted"), by_district["total"]["contacted"]],
            [_("Reached"), by_district["total"]["reached"]],
            [],
            [_("District"), *labels],
            *[[name, *(row[key] for key in contacts.FIGURES)] for name, row in by_district["districts"]],
        ],
        notes=[_("Exported %(at)s", at=clock.now().strftime("%Y-%m-%d %H:%M"))],
    )
    return [vehicles, summary]


EXPORT = exports.Kind(KIND, sheets, permission="zombie_cars.view")
