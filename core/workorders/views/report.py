"""The collector's report form: the photos uploaded one by one before it is sent, and the fields both
report forms take (grid or GPS location, address, category, the census component); hotline intake
(core.workorders.intake) uses the same fields."""

from decimal import Decimal, InvalidOperation

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock, photos
from core.areas import Area
from core.catalogue import picker
from core.catalogue.models import Category
from core.grids.index import locate
from core.parsing import parse_id
from core.permissions import login_required, requires, scoped
from core.web import message, page
from core.workorders import scope, submissions, workflow
from core.workorders.models import SOURCES
from core.workorders.views import bp

MAX_PHOTOS = 6


def claimed_photos(ids) -> list:
    """Photos uploaded earlier in this session (one by one, so a failed upload loses nothing)."""
    mine = set(session.get("uploads", []))
    chosen = [number for number in map(parse_id, ids) if number in mine]
    return list(photos.Photo.select().where(photos.Photo.id.in_(chosen))) if chosen else []


def store_uploads() -> list:
    """Photos sent with the form itself (the path without JavaScript)."""
    stored = []
    for upload in request.files.getlist("photos"):
        if upload and upload.filename:
            stored.append(photos.store(upload.stream, upload.filename, current_user._get_current_object()))
    return stored


@bp.route("/photos", methods=["POST"])
@login_required
def upload_photo():
    if not any(
        current_user.can(p) for p in ("workorder.report", "workorder.intake", "workorder.handle", "workorder.check")
    ):
        abort(403)
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return message(_("Choose a photo first."), 422)
    try:
        stored = photos.store(upload.stream, upload.filename, current_user._get_current_object())
    except photos.PhotoError as error:
        return page("workorders/_upload_failed.html", status=422, name=upload.filename, error=str(error))
    session["uploads"] = (session.get("uploads", []) + [stored.id])[-50:]
    return page("workorders/_upload.html", photo=stored, name=upload.filename)


@bp.route("/uploads/<int:photo_id>/thumb")
@login_required
@scoped("photo_id", kind="upload")
def upload_thumb(photo_id):
    if photo_id not in session.get("uploads", []):
        abort(404)
    return photos.send(photos.Photo.get_by_id(photo_id), "thumb")


def _location_fields(form) -> tuple[dict, list[str]]:
    errors, fields = [], {}
    grid_code = form.get("grid", "").strip().split(" ")[0]
    if grid_code:
        grid = Area.get_or_none((Area.code == grid_code) & (Area.level == "grid"))
        if grid is None:
            errors.append(_("There is no unit grid %(code)s.", code=grid_code))
        fields["grid"] = grid
    for key, bound in (("latitude", 90), ("longitude", 180)):
        raw = form.get(key, "").strip()
        if raw:
            try:
                value = Decimal(raw).quantize(Decimal("0.000001"))
            except InvalidOperation:
                value = None
            if value is None or not value.is_finite():  # NaN passes quantize()
                errors.append(_("The location is not a number."))
            elif abs(value) > bound:
                errors.append(_("The location is off the map: latitude is -90 to 90, longitude -180 to 180."))
            else:
                fields[key] = value
    if not fields.get("grid") and fields.get("latitude") is not None and fields.get("longitude") is not None:
        fields["grid"] = locate(float(fields["longitude"]), float(fields["latitude"]))  # GPS → unit grid
    fields["address"] = form.get("address", "").strip()[:200]
    return fields, errors


def category_chosen(form, errors) -> Category | None:
    found, error = picker.chosen(form, current_app.config["CATALOGUE_EDITION"])
    if error:
        errors.append(error)
    return found


def categories() -> list[Category]:
    """The categories a case may have: the configured edition's, in use."""
    return picker.choices(current_app.config["CATALOGUE_EDITION"])


def new_form_context(form):
    # A form refused with errors comes back with the key it was posted with: it made no case yet.
    key = submissions.key_of(form) if request.method == "POST" else None
    grids = Area.select().where(Area.level == "grid").order_by(Area.code)
    if not current_user.can("workorder.view_all") and current_user.can("workorder.view_grid"):
        mine = scope.grid_ids(current_user)
        grids = grids.where(Area.id.in_(list(mine))) if mine else grids
    return {
        "form": form,
        "categories": categories(),
        "grids": list(grids),
        "sources": SOURCES,
        "max_photos": MAX_PHOTOS,
        "component": _component(form, []),
        "submission_key": key or submissions.new_key(),
    }


def report_fields(form) -> tuple[dict, list[str]]:
    """What both report forms take: grid, location, address, category and description."""
    fields, errors = _location_fields(form)
    fields["category"] = category_chosen(form, errors)
    fields["description"] = form.get("description", "").strip()
    return fields, errors


def _component(form, errors):
    """The census component a report is about (the form carries its id when started from its page)."""
    from core.components.models import Component

    raw = form.get("component", "").strip()
    if not raw:
        return None
    component_id = parse_id(raw)
    found = Component.get_or_none(Component.id == component_id) if component_id else None
    if found is None:
        errors.append(_("There is no such component."))
    return found


def _already_saved(order):
    if order is None:  # the key was used by someone else's post: not a form this user was shown
        return message(_("This form was already sent. Reload the page to report something new."), 409)
    flash(_("This report was already saved as case %(number)s.", number=order.number), "info")
    return redirect(url_for("workorders.show", order_id=order.id))


def already_taken(order):
    """The hotline's repeat shows the page its first post showed: the caller still needs the tracking number."""
    if order is None:
        return _already_saved(None)
    flash(_("This report was already saved as case %(number)s.", number=order.number), "info")
    return page("workorders/intake_done.html", order=order)


@bp.route("/new", methods=["GET", "POST"])
@requires("workorder.report")
def new():
    # A GET may carry the fields to start with (category, grid, latitude, longitude, address, component):
    # "Report a problem" on a component's page links here with them.
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        key = submissions.key_of(form)
        first = submissions.first_case(key, current_user.id, clock.now())
        if first is not None:
            return _already_saved(first)
        fields, errors = report_fields(form)
        fields["component"] = _component(form, errors)
        if fields["category"] is None and not errors:
            errors.append(_("Choose the category of the problem."))
        if not fields["description"]:
            errors.append(_("Describe the problem."))
        if not fields.get("grid"):
            errors.append(_("Choose the unit grid (or use your location)."))
        try:
            attached = claimed_photos(form.getlist("photo_ids")) + store_uploads()
        except photos.PhotoError as error:
            attached, errors = [], errors + [str(error)]
        if not errors and not 1 <= len(attached) <= MAX_PHOTOS:
            errors.append(_("Add between 1 and %(n)d photos.", n=MAX_PHOTOS))
        if not errors:
            try:
                order = workflow.create_order(
                    current_user._get_current_object(), "collector", photos=attached, submission_key=key, **fields
                )
            except submissions.Repeated:
                return _already_saved(submissions.first_case(key, current_user.id, clock.now()))
            flash(_("Case %(number)s reported.", number=order.number), "success")
            if order.outside_areas:
                flash(
                    _(
                        "%(grid)s is outside your patrol areas: the case is kept, and that grid's own "
                        "collector verifies it on site.",
                        grid=fields["grid"].name,
                    ),
                    "warning",
                )
            return redirect(url_for("workorders.show", order_id=order.id))
        return page(
            "workorders/new.html",
            status=422,
            errors=errors,
            kept=claimed_photos(form.getlist("photo_ids")),
            **new_form_context(form),
        )
    return page("workorders/new.html", errors=[], kept=[], **new_form_context(form))
