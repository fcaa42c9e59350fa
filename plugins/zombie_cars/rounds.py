"""Survey rounds (摸底): which districts of the city a round covered (at least one vehicle surveyed in
one of its grids) and which it did not, and closing a round, after which the notices of its vehicles
may go out. A round may be closed with districts missing; the page and the audit entry say which."""

from flask_babel import gettext as _

from core.api import audit, clock, db

from . import contacts
from .models import SurveyRound, Vehicle
from .service import CampaignError


def completeness(survey: SurveyRound, district_of=None, known=None) -> dict:
    """{"covered": [district names], "missing": [district names]} over the city's current districts."""
    district_of = contacts.district_of_grid() if district_of is None else district_of
    known = contacts.districts() if known is None else known
    grids = {grid for (grid,) in Vehicle.select(Vehicle.grid).where(Vehicle.survey_round == survey.id).tuples()}
    seen = {district_of.get(grid) for grid in grids}
    covered = [area.name for area_id, area in known.items() if area_id in seen]
    missing = [area.name for area_id, area in known.items() if area_id not in seen]
    return {"covered": covered, "missing": missing}


def close(survey: SurveyRound, user) -> SurveyRound:
    """Close the round (its last day is today unless it was given): the notices of its vehicles may go out."""
    with db.atomic():
        current = SurveyRound.get_by_id(survey.id)
        if not current.is_open:
            raise CampaignError(_("The survey round %(name)s is closed already.", name=current.name), 409)
        now = clock.now()
        ended = current.ended_on or now.date()
        SurveyRound.update(closed_at=now, ended_on=ended).where(SurveyRound.id == current.id).execute()
        audit.record(
            "zombie_cars.round_close", "zombie_car_round", current.id, current.name,
            before={"closed_at": None},
            after={"closed_at": now.strftime("%Y-%m-%d %H:%M"), "missing": completeness(current)["missing"]},
        )  # fmt: skip
    return SurveyRound.get_by_id(survey.id)
