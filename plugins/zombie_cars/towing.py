"""Tow orders: the daily job opens a case for every notice that ran out with the vehicle still there,
through `open_case` (core.api) as the campaign's system actor, and the plugin follows the case
through the workflow (closed marks the vehicle towed; leaving closed reverts it)."""

import logging

from flask import current_app, has_request_context
from flask_babel import gettext as _

from core.api import (
    N_,
    Category,
    Department,
    Summary,
    WorkflowError,
    WorkOrder,
    audit,
    clock,
    db,
    notify,
    open_case,
    with_permissions,
)

from . import contacts
from .models import EarlyTowRequest, Notice, Vehicle
from .service import CAMPAIGN, CATEGORY_CODE, CampaignError, config, origin, vehicle_photos

log = logging.getLogger(__name__)
APPROVE = "zombie_cars.approve_early_tow"


def tow_category() -> Category:
    category = Category.get_or_none(
        (Category.edition == current_app.config["CATALOGUE_EDITION"])
        & (Category.kind == "event")
        & (Category.code == CATEGORY_CODE)
    )
    if category is None:
        raise CampaignError(
            _("The campaign's category %(code)s is missing: run `flask db upgrade`.", code=CATEGORY_CODE)
        )
    return category


def tow_department() -> Department:
    department = Department.get_or_none(Department.code == config("ZOMBIE_TOW_DEPARTMENT"))
    if department is None:
        department = tow_category().default_department
    if department is None:
        raise CampaignError(
            _(
                "There is no department %(code)s to tow vehicles: set ZOMBIE_TOW_DEPARTMENT.",
                code=config("ZOMBIE_TOW_DEPARTMENT"),
            )
        )
    return department


def open_tow_order(notice: Notice, early: EarlyTowRequest | None = None) -> WorkOrder:
    """Open the tow case for a notice that ran out (or, with `early`, an approved early tow of a vehicle
    whose owner refused), filed and dispatched to the parking office."""
    vehicle = notice.vehicle
    category = tow_category()
    department = tow_department()
    basis = f"告知书 {notice.number} 期满"
    facts = f"告知书 {notice.number} 已于 {notice.deadline.isoformat()} 到期，车辆仍未移走。"
    if early is not None:
        approver = early.decided_by.name if early.decided_by_id else ""
        basis = f"车主拒绝移车，告知书 {notice.number} 期满前经{approver}批准提前拖移"
        facts = (
            f"车主拒绝移车（告知书 {notice.number}，期限 {notice.deadline.isoformat()}），经{approver}批准提前拖移。"
        )
    with db.atomic():
        order = open_case(
            origin(vehicle),
            category,
            actor=CAMPAIGN,
            dispatch=department,
            reason=basis,
            grid=vehicle.grid_id,
            address=vehicle.address,
            latitude=vehicle.latitude,
            longitude=vehicle.longitude,
            description=f"僵尸车拖移：{vehicle.plate or '无牌'} {vehicle.colour}{vehicle.brand}，{facts}",
            photos=[link.photo for link in vehicle_photos(vehicle)],
        )
        Notice.update(status="expired", tow_order=order).where(Notice.id == notice.id).execute()
        Vehicle.update(stage="tow_ordered").where(Vehicle.id == vehicle.id).execute()
        audit.record(
            "zombie_cars.tow_order",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {order.number}",
            before={"stage": vehicle.stage},
            after={"stage": "tow_ordered", "order": order.number, "early": early is not None},
        )
    return WorkOrder.get_by_id(order.id)


def tow_overdue() -> Summary:
    """The daily job: every notice whose deadline has passed with the vehicle still there gets a tow
    order. A notice's last day is its deadline; the order is opened the day after. An owner who agreed
    (on their latest call that reached them) to move it by a later date keeps that date the same way:
    no order before the day after it."""
    today = clock.now().date()
    due = (
        Notice.select(Notice, Vehicle)
        .join(Vehicle)
        .where((Notice.status == "open") & (Notice.deadline < today) & (Vehicle.stage == "notified"))
        .order_by(Notice.deadline, Notice.id)
    )
    if due.exists():
        tow_category(), tow_department()  # a set-up problem fails the run loudly, not notice by notice
    made, failed, held = [], 0, 0
    for notice in due:
        promised = contacts.promised_on(notice.vehicle_id)
        if promised is not None and promised >= today:
            held += 1
            continue
        try:
            made.append(open_tow_order(notice).number)
        except (CampaignError, WorkflowError) as error:
            failed += 1
            log.error("no tow order for notice %s: %s", notice.number, error)
    if held:
        return Summary(N_("Tow orders created: %(n)d (%(numbers)s); waiting for a promised date: %(held)d"),
                       n=len(made), numbers=", ".join(made) or "—", held=held)  # fmt: skip
    if failed:
        return Summary(N_("Tow orders created: %(n)d (%(numbers)s); failed: %(failed)d"), n=len(made),
                       numbers=", ".join(made) or "—", failed=failed)  # fmt: skip
    if made:
        return Summary(N_("Tow orders created: %(n)d (%(numbers)s)"), n=len(made), numbers=", ".join(made))
    return Summary(N_("Tow orders created: %(n)d"), n=0)


def on_transition(order: WorkOrder, event):
    """Closing a tow order marks its vehicle towed; anything that moves it out of closed again
    reverts the vehicle to tow-ordered. (The workflow has no action leaving "closed" today; this
    follows whatever one a later version adds, by the statuses rather than an action name.)"""
    if order.source != "campaign" or event.action == "conclude":  # a conclusion comes from the campaign itself
        return
    notice = Notice.get_or_none(Notice.tow_order == order.id)
    if notice is None:
        return
    vehicle = notice.vehicle
    if event.to_status == "closed" and event.from_status != "closed" and vehicle.stage == "tow_ordered":
        Vehicle.update(stage="towed", outcome_at=event.at).where(Vehicle.id == vehicle.id).execute()
        audit.record(
            "zombie_cars.towed",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {order.number}",
            before={"stage": "tow_ordered"},
            after={"stage": "towed"},
            actor=event.actor,
        )
    elif event.from_status == "closed" and event.to_status != "closed" and vehicle.stage == "towed":
        Vehicle.update(stage="tow_ordered", outcome_at=None).where(Vehicle.id == vehicle.id).execute()
        audit.record(
            "zombie_cars.towed_reverted",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {order.number}",
            before={"stage": "towed"},
            after={"stage": "tow_ordered"},
            actor=event.actor,
        )


# --- early tows --------------------------------------------------------------------------------------


def pending_request(vehicle: Vehicle) -> EarlyTowRequest | None:
    return (
        EarlyTowRequest.select()
        .where((EarlyTowRequest.vehicle == vehicle.id) & (EarlyTowRequest.status == "pending"))
        .first()
    )


def request_early_tow(vehicle: Vehicle, user, reason: str) -> EarlyTowRequest:
    """A handler asks to tow before the notice runs out: only for a notified vehicle whose owner refused
    on the latest call that reached them, one open request at a time. The approvers are told."""
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError(_("Say why the vehicle should be towed early."))
    with db.atomic():
        current = Vehicle.get_by_id(vehicle.id)
        notice = Notice.get_or_none((Notice.vehicle == current.id) & (Notice.status == "open"))
        if current.stage != "notified" or notice is None:
            raise CampaignError(_("An early tow is asked for only while a notice is running."), 409)
        if not contacts.refused(current.id):
            raise CampaignError(
                _("An early tow is only for an owner who refused: record the call in which they refused first."),
                409,
            )
        if pending_request(current) is not None:
            raise CampaignError(_("An early tow has been asked for already and waits for approval."), 409)
        made = EarlyTowRequest.create(
            vehicle=current, notice=notice, reason=reason, requested_by=user, requested_at=clock.now()
        )
        audit.record(
            "zombie_cars.early_tow_request", "zombie_car", current.id, f"{current.plate_text} {notice.number}",
            after={"reason": reason, "deadline": notice.deadline.isoformat()},
        )  # fmt: skip
        _tell_approvers(current, user)
    return made


def _tell_approvers(vehicle: Vehicle, user):
    from flask import url_for

    # outside a request (the demo loader) there is no URL adapter: the blueprint's path, written out
    link = (
        url_for("zombie_cars.vehicle", vehicle_id=vehicle.id)
        if has_request_context()
        else f"/campaigns/zombie-cars/{vehicle.id}"
    )
    approvers = [approver for approver in with_permissions(APPROVE) if approver.id != user.id]
    notify(
        vehicle,
        approvers,
        "zombie-early-tow",
        lambda _user: _(
            "%(who)s asks to tow %(plate)s before its notice runs out (the owner refused): approve or "
            "reject it on %(link)s.",
            who=user.name, plate=vehicle.plate_text, link=link,
        ),
    )  # fmt: skip


def decide_early_tow(vehicle: Vehicle, user, approve: bool, note: str = "") -> EarlyTowRequest:
    """Approve (the tow order opens at once) or reject the vehicle's open request. Whoever asked may not
    decide their own request."""
    with db.atomic():
        request = pending_request(vehicle)
        if request is None:
            raise CampaignError(_("There is no early tow waiting for a decision."), 409)
        if request.requested_by_id == user.id:
            raise CampaignError(_("Someone other than the one who asked decides an early tow."), 403)
        status = "approved" if approve else "rejected"
        done = (
            EarlyTowRequest.update(status=status, decided_by=user, decided_at=clock.now(), decision_note=note)
            .where((EarlyTowRequest.id == request.id) & (EarlyTowRequest.status == "pending"))
            .execute()
        )
        if not done:  # decided by someone else a moment ago
            raise CampaignError(_("There is no early tow waiting for a decision."), 409)
        request = EarlyTowRequest.get_by_id(request.id)
        audit.record(
            f"zombie_cars.early_tow_{'approve' if approve else 'reject'}", "zombie_car", vehicle.id,
            f"{vehicle.plate_text}: {request.requested_by.name if request.requested_by_id else ''}",
            before={"status": "pending"}, after={"status": status, "note": note},
        )  # fmt: skip
        if approve:
            if Vehicle.get_by_id(vehicle.id).stage != "notified" or request.notice.status != "open":
                raise CampaignError(_("The vehicle's notice is no longer running: nothing to tow early."), 409)
            open_tow_order(request.notice, early=request)
    return request
