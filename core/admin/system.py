"""Plugins and scheduled jobs, as the administrator sees them."""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn

from core import audit, scheduler
from core.admin import bp
from core.permissions import requires, unscoped
from core.plugins import host
from core.scheduler import JobRun, ScheduledJob
from core.web import message, page

SOURCES = {"builtin": _l("Built in"), "entry point": _l("Installed package"), "folder": _l("Plugins folder")}


@bp.route("/plugins")
@requires("admin.plugins")
def plugins():
    return page("admin/plugins.html", plugins=list(host().infos.values()), sources=SOURCES)


def _job_rows():
    specs = scheduler.specs(current_app)
    stored = {row.id: row for row in ScheduledJob.select()}
    latest = JobRun.select(fn.MAX(JobRun.id)).where(JobRun.job_id.in_(list(specs))).group_by(JobRun.job_id)
    last = {run.job_id: run for run in JobRun.select().where(JobRun.id.in_(latest))}
    owners = current_app.extensions["xiuhua.job_owners"]
    return [
        {"spec": spec, "plugin": owners[job_id], "row": stored.get(job_id), "last": last.get(job_id)}
        for job_id, spec in specs.items()
    ]


def _jobs_context():
    runs = list(JobRun.select().order_by(JobRun.id.desc()).limit(30))
    return {"jobs": _job_rows(), "runs": runs, "outcomes": scheduler.OUTCOMES, "triggers": scheduler.TRIGGERS}


@bp.route("/jobs")
@requires("admin.jobs")
def jobs():
    return page("admin/jobs.html", "admin/_jobs_table.html", "jobs-table", **_jobs_context())


@bp.route("/jobs/<job_id>/run", methods=["POST"])
@requires("admin.jobs")
@unscoped
def job_run(job_id):
    if job_id not in scheduler.specs(current_app):
        return message(_("There is no such job."), 404)
    started = scheduler.run_in_background(current_app._get_current_object(), job_id)
    if started:
        audit.record("job.run", "job", job_id, job_id)
        note = _("Started %(job)s. This table refreshes until it finishes.", job=job_id)
    else:
        note = _("%(job)s is already running; wait for it to finish.", job=job_id)
    return page("admin/_jobs_table.html", note=note, **_jobs_context())
