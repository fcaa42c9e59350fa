from flask import Blueprint

from core.hookspecs import hookimpl
from core.permissions import public

bp = Blueprint("bad_command", __name__, url_prefix="/bad-command")


@bp.route("/")
@public
def index():
    return "should never be served"


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_commands(cli):
    @cli.command("bad-command-hello")
    def hello():
        pass

    raise RuntimeError("bad_command broke halfway through its commands")
