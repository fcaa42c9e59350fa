"""Excel exports, small and large, through one mechanism: a kind of export (`kinds.Kind`, from a plugin's
`register_exports` hook) builds its workbook for a user and the filters they chose; `views.respond()`
answers the export button with the file itself when it has at most EXPORT_INLINE_ROWS rows, and otherwise
`jobs.start()` records an `ExportJob` (models.py), writes the workbook into instance/exports/ in a thread of
the web process with its progress in the job's row, and the page that polls it is shown. Only the user who
asked may download the file. Plugins reach it as `core.api.exports` (api.py)."""

from flask_babel import lazy_gettext as _l

from core.exports.jobs import prune
from core.exports.views import bp
from core.hookspecs import hookimpl
from core.scheduler import JobSpec


@hookimpl
def config_defaults():
    return {"EXPORT_KEEP_DAYS": 7, "EXPORT_INLINE_ROWS": 2000}


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_jobs():
    return [JobSpec("exports.prune", _l("Delete old export files"), prune, cron="40 3 * * *")]
