from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.api import audit, clock, db, message, page, requires, unscoped

from .forms import FlyerForm
from .models import Flyer, repeat_numbers

bp = Blueprint(
    "flyers",
    __name__,
    url_prefix="/flyers",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.route("/")
@requires("flyers.view")
def index():
    since = clock.now() - timedelta(days=current_app.config["FLYERS_WINDOW_DAYS"])
    return page(
        "flyers/list.html",
        flyers=Flyer.select().order_by(Flyer.found_at.desc()).limit(200),
        numbers=repeat_numbers(since, current_app.config["FLYERS_REPEAT_THRESHOLD"]),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires("flyers.report")
def new():
    form = FlyerForm()
    if form.validate_on_submit():
        with db.atomic():
            flyer = Flyer.create(place=form.place.data.strip(), phone=form.phone.data or "", found_by=current_user.id)
            audit.record("flyers.create", "flyers_flyer", flyer.id, flyer.place)
        flash(_("Flyer at %(place)s recorded.", place=flyer.place), "success")
        return redirect(url_for("flyers.detail", flyer_id=flyer.id))
    return page("flyers/form.html", form=form, status=422 if form.errors else 200)


@bp.route("/<int:flyer_id>")
@requires("flyers.view")
@unscoped
def detail(flyer_id):
    flyer = Flyer.get_or_none(Flyer.id == flyer_id)
    if flyer is None:
        return message(_("There is no such flyer."), 404)
    return page("flyers/detail.html", flyer=flyer)


@bp.route("/<int:flyer_id>/removed", methods=["POST"])
@requires("flyers.report")
@unscoped
def removed(flyer_id):
    flyer = Flyer.get_or_none(Flyer.id == flyer_id)
    if flyer is None:
        return message(_("There is no such flyer."), 404)
    with db.atomic():
        # Only a flyer still up changes: a double click, or a colleague's, finds it removed already.
        changed = (
            Flyer.update(removed_at=clock.now()).where((Flyer.id == flyer.id) & Flyer.removed_at.is_null()).execute()
        )
        if changed:
            audit.record("flyers.removed", "flyers_flyer", flyer.id, flyer.place)
    flash(_("Marked as removed.") if changed else _("It was already marked as removed."), "success")
    return redirect(url_for("flyers.detail", flyer_id=flyer.id))
