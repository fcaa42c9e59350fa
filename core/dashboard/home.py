"""The home dashboard: widgets from the dashboard_widgets hook (the core's own included), after the field
home for collectors (core.dashboard.field)."""

from flask import Blueprint
from flask_login import current_user

from core.dashboard.field import field_home
from core.permissions import requires
from core.plugins import host
from core.web import page

bp = Blueprint("home", __name__)


@bp.route("/")
@requires("dashboard.view")
def index():
    user = current_user._get_current_object()
    widgets = sorted(host().collect("dashboard_widgets", user=user), key=lambda w: w.order)
    return page("home.html", widgets=widgets, field=field_home(user))
