"""`flask serve`: the single-process default — the web server (waitress) with the scheduler beside it."""

import click
from flask import current_app
from flask.cli import with_appcontext

from core import scheduler


def init_app(app):
    app.cli.add_command(serve)


@click.command("serve", help="Serve the web app with waitress; with the scheduler unless --no-scheduler.")
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", default=5000, type=int, show_default=True)
@click.option("--threads", default=8, show_default=True)
@click.option("--no-scheduler", is_flag=True, help="When a separate `flask scheduler run` process runs the jobs.")
@with_appcontext
def serve(host, port, threads, no_scheduler):
    from waitress import serve as waitress_serve

    app = current_app._get_current_object()
    if not no_scheduler and app.config["SCHEDULER_ENABLED"]:
        # in a thread, once this process holds the scheduler lock (another scheduler may hold it)
        scheduler.start_in_background(app)
    click.echo(f"Xiuhua on http://{host}:{port}/")
    waitress_serve(app, host=host, port=port, threads=threads)
