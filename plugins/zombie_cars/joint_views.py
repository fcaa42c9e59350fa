"""The joint clearance actions' pages: the list and planning one (a day, a team, its departments, the
advertising vehicles, the legal basis), and one action with a result per vehicle. A user sees the
vehicles of an action that are in their scope only."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from core.api import Department, PhotoError, page, requires, scoped, unscoped

from . import joint, service
from .forms import JointActionForm, JointResultForm
from .models import JOINT_RESULTS, JointAction, JointVehicle, Vehicle
from .views import _store_uploads, _text, _user, bp


def _action_form(**data):
    form = JointActionForm(**data)
    form.departments.choices = [(d.id, d.name) for d in Department.select().order_by(Department.name)]
    form.vehicles.choices = [(v.id, str(v.plate_text)) for v in joint.candidates(_user())]
    return form


def _list_page(form, status=200):
    actions = list(JointAction.select().order_by(JointAction.action_on.desc(), JointAction.id.desc()))
    return page(
        "zombie_cars/joint.html",
        actions=[(action, joint.tally(action)) for action in actions],
        form=form,
        candidates=list(joint.candidates(_user())),
        may_manage=_user().can("zombie_cars.manage"),
        results=JOINT_RESULTS,
        status=status,
    )


@bp.route("/joint", methods=["GET", "POST"])
@requires("zombie_cars.view")
def joint_actions():
    if request.method == "GET":
        return _list_page(_action_form(legal_basis=service.config("ZOMBIE_ADVERTISING_LEGAL_BASIS")))
    if not _user().can("zombie_cars.manage"):
        abort(403)
    form = _action_form()
    if not form.validate_on_submit():
        return _list_page(form, status=422)
    try:
        action = joint.create(
            _user(),
            name=_text(form.name),
            action_on=form.action_on.data,
            team=_text(form.team),
            department_ids=form.departments.data or [],
            vehicle_ids=form.vehicles.data or [],
            legal_basis=_text(form.legal_basis),
            note=_text(form.note),
        )
    except service.CampaignError as error:
        form.vehicles.errors = [*form.vehicles.errors, str(error.message)]
        return _list_page(form, status=error.status)
    flash(_("Joint clearance action %(name)s planned.", name=action.name), "success")
    return redirect(url_for(".joint_action", action_id=action.id), 303)


def _action_page(action, status=200, error=""):
    visible = service.visible_vehicles(_user(), Vehicle.select(Vehicle.id))
    links = list(
        JointVehicle.select(JointVehicle, Vehicle)
        .join(Vehicle)
        .where((JointVehicle.action == action.id) & Vehicle.id.in_(visible))
        .order_by(Vehicle.plate)
    )
    return page(
        "zombie_cars/joint_action.html",
        action=action,
        links=links,
        departments=[link.department for link in action.department_links],
        tally=joint.tally(action),
        results=JOINT_RESULTS,
        result_form=JointResultForm(formdata=None),
        may_manage=_user().can("zombie_cars.manage"),
        error=error,
        status=status,
    )


@bp.route("/joint/<int:action_id>")
@requires("zombie_cars.view")
@unscoped
def joint_action(action_id):
    action = JointAction.get_or_none(JointAction.id == action_id)
    if action is None:
        abort(404)
    return _action_page(action)


@bp.route("/joint/<int:action_id>/vehicles/<int:vehicle_id>", methods=["POST"])
@requires("zombie_cars.manage")
@scoped("vehicle_id", kind="vehicle")
def joint_result(action_id, vehicle_id):
    action = JointAction.get_or_none(JointAction.id == action_id)
    if action is None:
        abort(404)
    if not service.visible_vehicles(_user(), Vehicle.select().where(Vehicle.id == vehicle_id)).exists():
        abort(404)
    link = JointVehicle.get_or_none((JointVehicle.action == action.id) & (JointVehicle.vehicle == vehicle_id))
    if link is None:
        abort(404)
    form = JointResultForm()
    if not form.validate_on_submit():
        return _action_page(action, status=422, error=_("Choose the result for this vehicle."))
    try:
        stored = _store_uploads("photo")
        joint.record(link, form.result.data, _user(), stored[0] if stored else None)
        service.add_photos(link.vehicle, stored, by=_user())
    except PhotoError as error:
        return _action_page(action, status=422, error=str(error))
    except service.CampaignError as error:
        return _action_page(action, status=error.status, error=str(error.message))
    flash(_("Result recorded for %(plate)s.", plate=link.vehicle.plate_text), "success")
    return redirect(url_for(".joint_action", action_id=action.id), 303)
