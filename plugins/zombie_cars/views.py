"""The campaign's pages under /campaigns/zombie-cars: the list with its figures and map, registering
a vehicle, its record (owner, notices, contacts, early tow, outcome), the printable notice, the map
layer and the Excel export. Survey rounds are in rounds_views.py, joint actions in joint_views.py, the
owner and early-tow actions in vehicle_actions.py."""

from datetime import timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from peewee import JOIN

from core.api import (
    CASE_STATUSES,
    Area,
    PhotoError,
    WorkflowError,
    can_see_case,
    clock,
    editing,
    exports,
    message,
    page,
    parse_int,
    photos,
    requires,
    scoped,
)

from . import contacts, owners, plates, service, towing
from . import export as vehicle_export
from .forms import ContactForm, DecisionForm, EarlyTowForm, OutcomeForm, OwnerForm, VehicleEditForm, VehicleForm
from .models import (
    EARLY_TOW_STATUSES,
    OUTCOMES,
    STAGE_COLOURS,
    STAGES,
    EarlyTowRequest,
    Notice,
    OwnerContact,
    Vehicle,
)

bp = Blueprint(
    "zombie_cars",
    __name__,
    url_prefix="/campaigns/zombie-cars",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
PAGE_SIZE = 50


def _text(field) -> str:
    return (field.data or "").strip()


def _user():
    return current_user._get_current_object()


def _vehicle_or_404(vehicle_id: int) -> Vehicle:
    query = service.visible_vehicles(_user(), Vehicle.select().where(Vehicle.id == vehicle_id))
    vehicle = query.first()
    if vehicle is None:
        abort(404)
    return vehicle


def _store_uploads(field_name="photos") -> list:
    stored = []
    for upload in request.files.getlist(field_name):
        if upload and upload.filename:
            stored.append(photos.store(upload.stream, upload.filename, _user()))
    return stored


# --- the list, map and export ------------------------------------------------------------------------


FILTERS = ("stage", "advertising", "q")


def _filtered():
    return filtered(_user(), request.args)


def filtered(user, args):
    """The vehicles the list shows `user` for its filters (`args`: the query string, or an export's params)."""
    query = service.visible_vehicles(user, Vehicle.select(Vehicle, Area).join(Area, JOIN.LEFT_OUTER))
    stage = args.get("stage", "")
    if stage in STAGES:
        query = query.where(Vehicle.stage == stage)
    if args.get("advertising") == "1":
        query = query.where(Vehicle.advertising == True)
    q = plates.normalise(args.get("q", ""))
    if q:
        query = query.where(Vehicle.plate.contains(q) | Vehicle.address.contains(args.get("q", "").strip()))
    return query.order_by(Vehicle.reported_at.desc(), Vehicle.id.desc())


@bp.route("/")
@requires("zombie_cars.view")
def index():
    query = _filtered()
    total = query.count()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page_no = min(max(request.args.get("page", 1, type=parse_int), 1), pages)
    layer = {
        "name": _("Zombie cars"),
        "url": url_for(".map_geojson", **{k: v for k, v in request.args.items() if k in ("stage", "advertising", "q")}),
        "kind": "points",
        "cluster": True,
        "fit": True,
        "visible": True,
    }
    return page(
        "zombie_cars/index.html",
        "zombie_cars/_rows.html",
        "vehicle-rows",
        vehicles=list(query.paginate(page_no, PAGE_SIZE)),
        total=total,
        page_no=page_no,
        pages=pages,
        figures=service.counts(service.visible_vehicles(_user())),
        contact_figures=contacts.figures(service.visible_vehicles(_user())),
        stages=STAGES,
        colours=STAGE_COLOURS,
        layers=[layer],
    )


@bp.route("/map.geojson")
@requires("zombie_cars.view")
def map_geojson():
    """The vehicles as points for the map (see docs/MAP-CONTRACT): coloured by stage."""
    features = []
    for vehicle in _filtered().where(Vehicle.longitude.is_null(False) & Vehicle.latitude.is_null(False)):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(vehicle.longitude), float(vehicle.latitude)]},
                "properties": {
                    "label": str(vehicle.plate_text),
                    "value": str(vehicle.stage_label),
                    "color": STAGE_COLOURS.get(vehicle.stage, "#9e9e9e"),
                    "href": url_for(".vehicle", vehicle_id=vehicle.id),
                    "stage": vehicle.stage,
                },
            }
        )
    response = jsonify({"type": "FeatureCollection", "features": features})
    response.mimetype = "application/geo+json"
    return response


@bp.route("/export.xlsx")
@requires("zombie_cars.view")
def export():
    params = {key: str(request.args[key])[:100] for key in FILTERS if request.args.get(key)}
    return exports.respond(vehicle_export.KIND, params, f"zombie-cars-{clock.now().date().isoformat()}")


# --- registering -------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@requires("zombie_cars.manage")
def new():
    form = VehicleForm()
    if not form.validate_on_submit():
        return page("zombie_cars/new.html", form=form, status=422 if request.method == "POST" else 200)
    existing = Vehicle.get_or_none(Vehicle.plate == form.normalised_plate) if form.normalised_plate else None
    if existing is not None and _sees(existing):
        return _already_registered(existing)
    try:
        stored = _store_uploads()
    except PhotoError as error:
        return page("zombie_cars/new.html", form=form, photo_error=str(error), status=422)
    if existing is None:
        vehicle, created = service.register(
            _user(), plate=form.normalised_plate, photos=stored, **_vehicle_fields(form)
        )
    else:
        vehicle, created = existing, False
    if not created:
        if _sees(vehicle):  # registered by someone else a moment ago, where this user sees it
            service.add_photos(vehicle, stored, by=_user())
            return _already_registered(vehicle)
        # one record per plate, and the other record is not this user's to see: the centre merges
        service.pass_to_centre(
            vehicle, _user(), _vehicle_fields(form), stored, url_for(".vehicle", vehicle_id=vehicle.id)
        )
        flash(
            _(
                "%(plate)s was passed to the command centre, which keeps one record per plate and merges your "
                "registration into it.",
                plate=vehicle.plate_text,
            ),
            "info",
        )
        return redirect(url_for(".index"), 303)
    flash(_("Vehicle %(plate)s registered.", plate=vehicle.plate_text), "success")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)


def _vehicle_fields(form: VehicleForm) -> dict:
    return {
        "plate_kind": form.plate_kind,
        "vehicle_type": form.vehicle_type.data,
        "colour": _text(form.colour),
        "brand": _text(form.brand),
        "address": _text(form.address),
        "longitude": form.lon,
        "latitude": form.lat,
        "dusty": form.dusty.data,
        "flat_tyres": form.flat_tyres.data,
        "days_unmoved": form.days_unmoved.data,
        "advertising": form.advertising.data,
        "survey_round": form.survey_round.data or None,
        "notes": _text(form.notes),
    }


@bp.route("/<int:vehicle_id>/edit", methods=["GET", "POST"])
@requires("zombie_cars.manage")
@scoped("vehicle_id", kind="vehicle")
def edit(vehicle_id):
    vehicle = _vehicle_or_404(vehicle_id)
    if request.method == "GET":
        form = VehicleEditForm(
            formdata=None,
            plate=vehicle.plate or "",
            no_plate=vehicle.plate is None,
            vehicle_type=vehicle.vehicle_type,
            colour=vehicle.colour,
            brand=vehicle.brand,
            address=vehicle.address,
            longitude="" if vehicle.longitude is None else str(vehicle.longitude),
            latitude="" if vehicle.latitude is None else str(vehicle.latitude),
            dusty=vehicle.dusty,
            flat_tyres=vehicle.flat_tyres,
            days_unmoved=vehicle.days_unmoved,
            advertising=vehicle.advertising,
            survey_round=vehicle.survey_round_id or 0,
            notes=vehicle.notes,
        )
        form.show(vehicle.version)
        return page("zombie_cars/edit.html", form=form, vehicle=vehicle)
    form = VehicleEditForm()
    if not form.validate_on_submit():
        return page("zombie_cars/edit.html", form=form, vehicle=vehicle, status=422)
    plate = form.normalised_plate
    other = Vehicle.get_or_none((Vehicle.plate == plate) & (Vehicle.id != vehicle.id)) if plate else None
    if other is not None and not _sees(other):  # not "already registered": that record is not theirs to know
        service.pass_to_centre(other, _user(), _vehicle_fields(form), [], url_for(".vehicle", vehicle_id=other.id))
        form.plate.errors = [
            *form.plate.errors,
            _(
                "%(plate)s cannot be given to this vehicle here: it was passed to the command centre, which "
                "keeps one record per plate and merges the records.",
                plate=plate,
            ),
        ]
        return page("zombie_cars/edit.html", form=form, vehicle=vehicle, status=409)
    try:
        stored = _store_uploads()
        service.update(vehicle, form.seen_version, plate=form.normalised_plate, photos=stored, **_vehicle_fields(form))
    except editing.Stale:
        form.refuse("zombie_car", vehicle.id, Vehicle.get_by_id(vehicle.id).version)
        return page("zombie_cars/edit.html", form=form, vehicle=vehicle, status=409)
    except PhotoError as error:
        return page("zombie_cars/edit.html", form=form, vehicle=vehicle, photo_error=str(error), status=422)
    except service.CampaignError as error:
        form.plate.errors = [*form.plate.errors, str(error.message)]
        return page("zombie_cars/edit.html", form=form, vehicle=vehicle, status=error.status)
    flash(_("Vehicle %(plate)s saved.", plate=vehicle.plate_text), "success")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)


def _sees(vehicle: Vehicle) -> bool:
    return service.visible_vehicles(_user(), Vehicle.select().where(Vehicle.id == vehicle.id)).exists()


def _already_registered(vehicle: Vehicle):
    """Only for a record the user may see (a record out of their scope goes to the centre instead)."""
    flash(_("%(plate)s is already registered: this is its record.", plate=vehicle.plate_text), "info")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)


# --- one vehicle -------------------------------------------------------------------------------------


def _vehicle_page(vehicle, contact_form=None, outcome_form=None, status=200, error="", owner_form=None, tow_form=None):
    notices = list(vehicle.notices.order_by(Notice.issued_on.desc(), Notice.id.desc()))
    user = _user()
    owner = owners.shown(user, vehicle)
    if owner_form is None and owner["full"]:
        owner_form = OwnerForm(
            formdata=None,
            owner_name=vehicle.owner_name,
            owner_phone=vehicle.owner_phone,
            owner_id_number=vehicle.owner_id_number,
        )
    early = list(vehicle.early_tows.order_by(EarlyTowRequest.requested_at.desc(), EarlyTowRequest.id.desc()))
    # only the tow cases the user may open: a number and status of another's case are not theirs to read
    orders = [(n, n.tow_order) for n in notices if n.tow_order_id and can_see_case(user, n.tow_order)]
    return page(
        "zombie_cars/vehicle.html",
        vehicle=vehicle,
        photos=service.vehicle_photos(vehicle),
        notices=notices,
        orders=orders,
        statuses=CASE_STATUSES,
        colours=STAGE_COLOURS,
        contacts=list(vehicle.contacts.order_by(OwnerContact.contacted_on.desc(), OwnerContact.id.desc())),
        contact_form=contact_form or ContactForm(formdata=None, contacted_on=clock.now().date()),
        outcome_form=outcome_form or OutcomeForm(formdata=None),
        may_manage=user.can("zombie_cars.manage"),
        kinds=plates.KINDS,
        notice_days=service.config("ZOMBIE_NOTICE_DAYS"),
        round_open=bool(vehicle.survey_round_id and vehicle.survey_round.is_open),
        owner=owner,
        owner_form=owner_form,
        early=early,
        early_statuses=EARLY_TOW_STATUSES,
        pending=towing.pending_request(vehicle),
        may_request_early=vehicle.stage == "notified" and contacts.refused(vehicle.id),
        may_approve=user.can(towing.APPROVE),
        tow_form=tow_form or EarlyTowForm(formdata=None),
        decision_form=DecisionForm(formdata=None),
        error=error,
        status=status,
    )


@bp.route("/<int:vehicle_id>")
@requires("zombie_cars.view")
@scoped("vehicle_id", kind="vehicle")
def vehicle(vehicle_id):
    return _vehicle_page(_vehicle_or_404(vehicle_id))


@bp.route("/<int:vehicle_id>/notify", methods=["POST"])
@requires("zombie_cars.manage")
@scoped("vehicle_id", kind="vehicle")
def notify(vehicle_id):
    vehicle = _vehicle_or_404(vehicle_id)
    if not FlaskForm().validate_on_submit():
        return message(_("The form expired; reload the page and try again."), 400)
    try:
        notice = service.notify(vehicle, _user())
    except service.CampaignError as error:
        return _vehicle_page(vehicle, status=error.status, error=str(error.message))
    flash(_("Notice %(number)s issued: print it and post it on the vehicle.", number=notice.number), "success")
    return redirect(url_for(".notice", vehicle_id=vehicle.id, notice_id=notice.id), 303)


@bp.route("/<int:vehicle_id>/contacts", methods=["POST"])
@requires("zombie_cars.manage")
@scoped("vehicle_id", kind="vehicle")
def add_contact(vehicle_id):
    vehicle = _vehicle_or_404(vehicle_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _vehicle_page(vehicle, contact_form=form, status=422)
    try:
        contacts.add_contact(
            vehicle,
            _user(),
            contacted_on=form.contacted_on.data,
            caller=_text(form.caller),
            result=form.result.data,
            note=_text(form.note),
            promised_on=form.promised_on.data,
        )
    except service.CampaignError as error:
        return _vehicle_page(vehicle, contact_form=form, status=error.status, error=str(error.message))
    flash(_("Contact recorded."), "success")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)


@bp.route("/<int:vehicle_id>/outcome", methods=["POST"])
@requires("zombie_cars.manage")
@scoped("vehicle_id", kind="vehicle")
def outcome(vehicle_id):
    vehicle = _vehicle_or_404(vehicle_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _vehicle_page(vehicle, outcome_form=form, status=422)
    try:
        stored = _store_uploads("photo")
        service.set_outcome(vehicle, form.outcome.data, _user(), _text(form.note), stored[0] if stored else None)
        service.add_photos(vehicle, stored, by=_user())
    except PhotoError as error:
        return _vehicle_page(vehicle, outcome_form=form, status=422, error=str(error))
    except (service.CampaignError, WorkflowError) as error:
        return _vehicle_page(vehicle, outcome_form=form, status=getattr(error, "status", 422), error=str(error.message))
    flash(_("Outcome recorded: %(outcome)s.", outcome=OUTCOMES[form.outcome.data]), "success")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)


@bp.route("/<int:vehicle_id>/notices/<int:notice_id>")
@requires("zombie_cars.view")
@scoped("vehicle_id", kind="vehicle")
def notice(vehicle_id, notice_id):
    vehicle = _vehicle_or_404(vehicle_id)
    found = Notice.get_or_none((Notice.id == notice_id) & (Notice.vehicle == vehicle.id))
    if found is None:
        abort(404)
    words = [vehicle.colour, vehicle.brand, str(vehicle.type_label)]
    joiner = "" if str(get_locale()).startswith("zh") else " "
    return page(
        "zombie_cars/notice.html",
        vehicle=vehicle,
        notice=found,
        number=service.document_number(found),
        plate=Markup('<strong id="notice-plate">{}</strong>').format(vehicle.plate_text),
        vehicle_words=joiner.join(w for w in words if w),
        deadline=Markup('<strong id="notice-deadline">{}</strong>').format(service.document_date(found.deadline)),
        issued=service.document_date(found.issued_on),
        address=service.config("ZOMBIE_OFFICE_ADDRESS"),
        phone=service.config("ZOMBIE_OFFICE_PHONE"),
        moved_on=found.deadline != found.issued_on + timedelta(days=found.days),
    )
