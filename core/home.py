"""The home dashboard: widgets from the dashboard_widgets hook (the core's own included)."""

from flask import Blueprint
from flask_login import current_user

from core.permissions import requires
from core.plugins import host
from core.web import page

bp = Blueprint("home", __name__)


@bp.route("/")
@requires("dashboard.view")
def index():
    widgets = sorted(
        host().collect("dashboard_widgets", user=current_user._get_current_object()), key=lambda w: w.order
    )
    return page("home.html", widgets=widgets)
