from flask import Blueprint

from core.hookspecs import hookimpl
from core.permissions import public

bp = Blueprint("half_bad", __name__, url_prefix="/half-bad")


@bp.route("/")
@public
def index():
    return "should never be served"


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_jobs():
    raise RuntimeError("half_bad cannot declare its jobs")
