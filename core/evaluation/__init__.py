"""Evaluation (docs/domain.md §5): indicators for areas, departments and posts from the event log, scores
and grades, manual deductions, weekly and monthly snapshots published as rankings, the public bulletin."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import MenuItem
from core.scheduler import JobSpec

PERMISSIONS = [
    ("evaluation.view", _l("See evaluation figures, rankings and snapshots"), ["evaluator", "leader", "admin"]),
    ("evaluation.deduct", _l("Enter and withdraw manual deductions"), ["evaluator"]),
    ("evaluation.publish", _l("Publish and republish evaluation snapshots"), ["evaluator"]),
    ("evaluation.configure", _l("Edit score weights and grade bands"), ["evaluator", "admin"]),
]


def _register_on_the_grids():
    # The grid map's "score" measure and the grid page's section; core.maps and core.grids come
    # before this module in core.plugins.BUILTINS.
    from core.evaluation.gridmap import register

    register()


_register_on_the_grids()


@hookimpl
def register_permissions():
    return [{"name": name, "label": label, "roles": roles} for name, label, roles in PERMISSIONS]


@hookimpl
def register_blueprints():
    from core.evaluation.public import public_bp
    from core.evaluation.views import bp

    return [bp, public_bp]


@hookimpl
def register_jobs():
    from core.evaluation.snapshots import monthly_job, weekly_job

    return [
        JobSpec("evaluation.weekly", _l("Weekly evaluation: snapshot of last week"), weekly_job, cron="30 1 * * 1"),
        JobSpec("evaluation.monthly", _l("Monthly review: snapshot of last month"), monthly_job, cron="45 1 1 * *"),
    ]


@hookimpl
def register_commands(cli):
    from core.evaluation.cli import evaluation_cli

    cli.add_command(evaluation_cli)


@hookimpl
def menu_items(user):
    if user.can("evaluation.view"):
        return [MenuItem(_l("Evaluation"), "evaluation.index", order=40)]
    return []


@hookimpl
def demo_data(ctx):
    """Publish the last complete month when the simulated history covers it, so that the public page and
    the grid map's scores have something to show; last week's evaluation is left as a draft to review."""
    from datetime import timedelta

    from flask import current_app

    from core import clock
    from core.evaluation import periods, snapshots
    from core.evaluation.models import Snapshot

    now = clock.now()
    month = periods.previous("month", now)
    if month.start < now - timedelta(days=current_app.config["DEMO_HISTORY_DAYS"]):
        return
    if Snapshot.get_or_none(Snapshot.period == month.key) is None:
        snapshots.publish(snapshots.prepare(month).id, ctx.users.get("evaluator"))
        snapshots.prepare(periods.previous("week", now))
