"""Joint clearance actions (联合整治) for advertising zombie cars: a list of advertising vehicles, one day,
one team (its text and its departments), its own legal basis (ZOMBIE_ADVERTISING_LEGAL_BASIS by default),
and one result per vehicle. "Cleared by the team" ends the vehicle as towed, "the owner moved it" as
moved; either concludes an open tow case through the campaign (CAMPAIGN), as recording an outcome does.
"Not found" leaves the vehicle's stage as it was."""

from flask_babel import gettext as _

from core.api import Department, audit, clock, conclude, db

from . import service
from .models import JOINT_RESULTS, OPEN_STAGES, JointAction, JointDepartment, JointVehicle, Notice, Vehicle

# A result → the vehicle's stage and how its open tow case ends (a key of core.api.CASE_OUTCOMES).
ENDS = {"cleared": ("towed", "handled"), "owner_moved": ("moved", "object_gone")}


def candidates(user):
    """The advertising vehicles still open that `user` sees: what an action can list."""
    query = Vehicle.select().where((Vehicle.advertising == True) & Vehicle.stage.in_(OPEN_STAGES))
    return service.visible_vehicles(user, query).order_by(Vehicle.plate)


def create(user, *, name, action_on, team, department_ids, vehicle_ids, legal_basis, note="") -> JointAction:
    vehicles = list(candidates(user).where(Vehicle.id.in_(list(vehicle_ids)))) if vehicle_ids else []
    if not vehicles:
        raise service.CampaignError(_("Choose at least one advertising vehicle that is still there."))
    departments = list(Department.select().where(Department.id.in_(list(department_ids)))) if department_ids else []
    with db.atomic():
        action = JointAction.create(
            name=name, action_on=action_on, team=team, legal_basis=legal_basis or service.config(
                "ZOMBIE_ADVERTISING_LEGAL_BASIS"
            ), note=note, created_by=user, created_at=clock.now(),
        )  # fmt: skip
        for department in departments:
            JointDepartment.create(action=action, department=department)
        for vehicle in vehicles:
            JointVehicle.create(action=action, vehicle=vehicle)
        audit.record(
            "zombie_cars.joint_action", "zombie_car_joint", action.id, action.name,
            after={
                "action": f"{action.name} {action_on.isoformat()}",
                "plate": [str(v.plate_text) for v in vehicles],
                "notes": team,
            },
        )  # fmt: skip
    return action


def record(link: JointVehicle, result: str, user, photo=None) -> JointVehicle:
    """One vehicle's result, once. Ending an open tow case at the department needs a photo of the place."""
    if result not in JOINT_RESULTS:
        raise service.CampaignError(_("Choose the result for this vehicle."))
    with db.atomic():
        current = JointVehicle.get_by_id(link.id)
        if current.result:
            raise service.CampaignError(_("This vehicle's result is recorded already."), 409)
        vehicle = Vehicle.get_by_id(current.vehicle_id)
        action = current.action
        if result in ENDS:
            if vehicle.stage not in OPEN_STAGES:
                raise service.CampaignError(
                    _("This vehicle's case has ended already: %(stage)s.", stage=vehicle.stage_label), 409
                )
            orders = service.open_orders(vehicle)
            if photo is None and any(order.status in service.NEEDS_PHOTO for order in orders):
                raise service.CampaignError(
                    _("The tow order is already at the department: add a photo showing the place empty.")
                )
            stage, case_outcome = ENDS[result]
            note = f"{action.name}（{action.action_on.isoformat()}）：{JOINT_RESULTS[result]}"
            Vehicle.update(stage=stage, outcome_at=clock.now(), outcome_note=note).where(
                Vehicle.id == vehicle.id
            ).execute()
            Notice.update(status="cancelled").where(
                (Notice.vehicle == vehicle.id) & (Notice.status == "open")
            ).execute()
            reason = _("Joint clearance action %(name)s: %(result)s (recorded by %(who)s)", name=action.name,
                       result=JOINT_RESULTS[result], who=user.name)  # fmt: skip
            for order in orders:
                conclude(
                    order, case_outcome, actor=service.CAMPAIGN, reason=reason,
                    photos=[photo] if photo is not None else (), data={"recorded_by": user.username},
                )  # fmt: skip
        JointVehicle.update(result=result, recorded_by=user, recorded_at=clock.now()).where(
            JointVehicle.id == current.id
        ).execute()
        audit.record(
            "zombie_cars.joint_result", "zombie_car", vehicle.id, f"{vehicle.plate_text}: {action.name}",
            before={"stage": vehicle.stage}, after={"stage": ENDS.get(result, (vehicle.stage,))[0], "result": result},
        )  # fmt: skip
    return JointVehicle.get_by_id(link.id)


def tally(action: JointAction) -> dict:
    counts = dict.fromkeys(JOINT_RESULTS, 0)
    counts[""] = 0
    for (result,) in JointVehicle.select(JointVehicle.result).where(JointVehicle.action == action.id).tuples():
        counts[result] = counts.get(result, 0) + 1
    return counts
