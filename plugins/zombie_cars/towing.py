"""Tow orders: the daily job opens a case for every notice that ran out with the vehicle still there,
through `core.workorders.cases.open_case` as the campaign's system actor, and the plugin follows the case
through the workflow (closed marks the vehicle towed; leaving closed reverts it)."""

import logging

from flask import current_app
from flask_babel import gettext as _

from core import audit, clock
from core.catalogue import Category
from core.db import db
from core.org import Department
from core.scheduler import N_, Summary
from core.workorders import cases, workflow
from core.workorders.models import WorkOrder

from .models import Notice, Vehicle
from .service import CAMPAIGN, CATEGORY_CODE, CampaignError, config, origin

log = logging.getLogger(__name__)


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


def open_tow_order(notice: Notice) -> WorkOrder:
    """Open the tow case for a notice that ran out, filed and dispatched to the parking office."""
    vehicle = notice.vehicle
    category = tow_category()
    department = tow_department()
    basis = f"告知书 {notice.number} 期满"
    with db.atomic():
        order = cases.open_case(
            origin(vehicle),
            category,
            actor=CAMPAIGN,
            dispatch=department,
            reason=basis,
            grid=vehicle.grid_id,
            address=vehicle.address,
            latitude=vehicle.latitude,
            longitude=vehicle.longitude,
            description=(
                f"僵尸车拖移：{vehicle.plate or '无牌'} {vehicle.colour}{vehicle.brand}，"
                f"告知书 {notice.number} 已于 {notice.deadline.isoformat()} 到期，车辆仍未移走。"
            ),
            photos=[link.photo for link in vehicle.photo_links],
        )
        Notice.update(status="expired", tow_order=order).where(Notice.id == notice.id).execute()
        Vehicle.update(stage="tow_ordered").where(Vehicle.id == vehicle.id).execute()
        audit.record(
            "zombie_cars.tow_order",
            "zombie_car",
            vehicle.id,
            f"{vehicle.plate_text}: {order.number}",
            before={"stage": vehicle.stage},
            after={"stage": "tow_ordered", "order": order.number},
        )
    return WorkOrder.get_by_id(order.id)


def tow_overdue() -> Summary:
    """The daily job: every notice whose deadline has passed with the vehicle still there gets a tow
    order. A notice's last day is its deadline; the order is opened the day after."""
    today = clock.now().date()
    due = (
        Notice.select(Notice, Vehicle)
        .join(Vehicle)
        .where((Notice.status == "open") & (Notice.deadline < today) & (Vehicle.stage == "notified"))
        .order_by(Notice.deadline, Notice.id)
    )
    if due.exists():
        tow_category(), tow_department()  # a set-up problem fails the run loudly, not notice by notice
    made, failed = [], 0
    for notice in due:
        try:
            made.append(open_tow_order(notice).number)
        except (CampaignError, workflow.WorkflowError) as error:
            failed += 1
            log.error("no tow order for notice %s: %s", notice.number, error)
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
