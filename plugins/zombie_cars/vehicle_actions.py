"""The vehicle page's owner and early-tow actions: recording the owner (zombie_cars.owner), asking to tow a
refusing owner's car early (zombie_cars.manage) and deciding it (zombie_cars.approve_early_tow)."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _

from core.api import WorkflowError, requires, scoped

from . import contacts, service, towing
from .forms import DecisionForm, EarlyTowForm, OwnerForm
from .views import _text, _user, _vehicle_or_404, _vehicle_page, bp


@bp.route("/<int:vehicle_id>/owner", methods=["POST"])
@requires("zombie_cars.owner")
@scoped("vehicle_id", kind="vehicle")
def owner(vehicle_id):
    vehicle = _vehicle_or_404(vehicle_id)
    form = OwnerForm()
    if not form.validate_on_submit():
        return _vehicle_page(vehicle, owner_form=form, status=422)
    contacts.set_owner(
        vehicle, _user(), name=_text(form.owner_name), phone=form.owner_phone.data, id_number=form.owner_id_number.data
    )
    flash(_("Owner recorded."), "success")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)


@bp.route("/<int:vehicle_id>/early-tow", methods=["POST"])
@requires("zombie_cars.manage")
@scoped("vehicle_id", kind="vehicle")
def early_tow(vehicle_id):
    vehicle = _vehicle_or_404(vehicle_id)
    form = EarlyTowForm()
    if not form.validate_on_submit():
        return _vehicle_page(vehicle, tow_form=form, status=422)
    try:
        towing.request_early_tow(vehicle, _user(), _text(form.reason))
    except service.CampaignError as error:
        return _vehicle_page(vehicle, tow_form=form, status=error.status, error=str(error.message))
    flash(_("Early tow asked for: a shift leader decides."), "success")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)


@bp.route("/<int:vehicle_id>/early-tow/decision", methods=["POST"])
@requires("zombie_cars.approve_early_tow")
@scoped("vehicle_id", kind="vehicle")
def early_tow_decision(vehicle_id):
    vehicle = _vehicle_or_404(vehicle_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _vehicle_page(vehicle, status=422, error=_("Choose approve or reject."))
    try:
        towing.decide_early_tow(vehicle, _user(), form.decision.data == "approve", _text(form.note))
    except (service.CampaignError, WorkflowError) as error:
        return _vehicle_page(vehicle, status=getattr(error, "status", 422), error=str(error.message))
    if form.decision.data == "approve":
        flash(_("Early tow approved: the tow order is open."), "success")
    else:
        flash(_("Early tow rejected."), "info")
    return redirect(url_for(".vehicle", vehicle_id=vehicle.id), 303)
