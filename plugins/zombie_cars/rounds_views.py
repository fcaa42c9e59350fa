"""The survey rounds page: each round's figures, which districts it covered and which it missed, adding
a round and closing one (notices go out only for the vehicles of a closed round)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core.api import audit, clock, message, page, requires, unscoped

from . import contacts, service
from . import rounds as survey_rounds
from .forms import RoundForm
from .models import SurveyRound, Vehicle
from .views import _text, _user, bp


@bp.route("/rounds", methods=["GET", "POST"])
@requires("zombie_cars.view")
def rounds():
    form = RoundForm()
    status = 200
    if request.method == "POST":
        if not _user().can("zombie_cars.manage"):
            abort(403)
        if form.validate_on_submit():
            made = SurveyRound.create(
                name=_text(form.name),
                started_on=form.started_on.data,
                ended_on=form.ended_on.data,
                area_note=_text(form.area_note),
                created_by=_user(),
                created_at=clock.now(),
            )
            audit.record("zombie_cars.round", "zombie_car_round", made.id, made.name)
            flash(_("Survey round %(name)s added.", name=made.name), "success")
            return redirect(url_for(".rounds"), 303)
        status = 422
    visible = service.visible_vehicles(_user())
    district_of, known = contacts.district_of_grid(), contacts.districts()
    figures = []
    for survey in SurveyRound.select().order_by(SurveyRound.started_on.desc(), SurveyRound.id.desc()):
        counted = service.counts(visible.where(Vehicle.survey_round == survey.id))
        figures.append((survey, counted, survey_rounds.completeness(survey, district_of, known)))
    return page(
        "zombie_cars/rounds.html",
        form=form,
        rounds=figures,
        may_manage=_user().can("zombie_cars.manage"),
        status=status,
    )


@bp.route("/rounds/<int:round_id>/close", methods=["POST"])
@requires("zombie_cars.manage")
@unscoped
def close_round(round_id):
    survey = SurveyRound.get_or_none(SurveyRound.id == round_id)
    if survey is None:
        abort(404)
    if not FlaskForm().validate_on_submit():
        return message(_("The form expired; reload the page and try again."), 400)
    try:
        closed = survey_rounds.close(survey, _user())
    except service.CampaignError as error:
        return message(str(error.message), error.status)
    missing = survey_rounds.completeness(closed)["missing"]
    if missing:
        flash(_("Survey round %(name)s closed; no vehicle was surveyed in: %(missing)s.", name=closed.name,
                missing=_(", ").join(missing)), "warning")  # fmt: skip
    else:
        flash(_("Survey round %(name)s closed: every district was surveyed.", name=closed.name), "success")
    return redirect(url_for(".rounds"), 303)
