"""Evaluation (docs/domain.md §5): indicators for areas, departments and posts from the event log, scores
and grades, manual deductions, weekly and monthly snapshots published as rankings, the public bulletin."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import GridSection, MenuItem, Widget
from core.scheduler import JobSpec

PERMISSIONS = [
    ("evaluation.view", _l("See evaluation figures, rankings and snapshots"), ["evaluator", "leader", "admin"]),
    ("evaluation.deduct", _l("Enter and withdraw manual deductions"), ["evaluator"]),
    ("evaluation.publish", _l("Publish and republish evaluation snapshots"), ["evaluator"]),
    ("evaluation.configure", _l("Edit score weights and grade bands"), ["evaluator", "admin"]),
]


@hookimpl
def register_permissions():
    return [{"name": name, "label": label, "roles": roles} for name, label, roles in PERMISSIONS]


@hookimpl
def attachment_subjects():
    from core.attachments.subjects import AttachmentSubject
    from core.evaluation.models import DEDUCTION

    def may_view(user, deduction_id):
        return user.can("evaluation.view")  # as the deductions page: every evaluation viewer sees every one

    return [AttachmentSubject(DEDUCTION, _l("Manual deduction"), may_view, variants=("thumb", "display"))]


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
def register_exports():
    from core.evaluation.exports import EXPORTS

    return EXPORTS


@hookimpl
def dashboard_widgets(user):
    from core.evaluation.plugin_figures import this_month

    context = this_month(user)
    if context is None:
        return []
    return [Widget(_l("Campaign figures"), "evaluation/_plugin_figures.html", context, order=25)]


@hookimpl
def map_measures():
    from core.evaluation.gridmap import SCORE

    return [SCORE]


@hookimpl
def grid_sections(grid, user):
    from core.evaluation.gridmap import grid_section

    context = grid_section(grid, user)
    if context is None:
        return []
    return [GridSection("evaluation", _l("Recent evaluation"), "evaluation/_grid_section.html", context, 40)]


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


@hookimpl
def register_audit_actions():
    from core.evaluation.audit_actions import ACTIONS

    return ACTIONS
