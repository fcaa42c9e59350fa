"""One background export's row: its kind, filters, progress, heartbeat and file (instance/exports/<id>.xlsx)."""

from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from core import clock
from core.background import GOING
from core.db import BaseModel, JSONField
from core.org import User

STATUSES = {
    "running": (_l("Writing the file"), "grey"),
    "done": (_l("Ready to download"), "green"),
    "failed": (_l("Failed"), "red"),
    "interrupted": (_l("Interrupted: the server stopped during the export"), "red"),
}


class ExportJob(BaseModel):
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    kind = CharField(max_length=40)  # a Kind's name
    params = JSONField(null=True)  # what the kind's function reads: the list's filters
    status = CharField(max_length=12, default="running")  # a key of STATUSES
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    filename = CharField(max_length=255, default="")  # the download's name
    error = TextField(default="")
    runner = CharField(max_length=120, default="")  # "host:pid" of the process writing it
    started_at = DateTimeField(default=clock.now, index=True)
    heartbeat_at = DateTimeField(null=True)  # the worker's last progress
    ended_at = DateTimeField(null=True)
    # The user's id while the export is going, None once it ended: the unique index makes a second
    # start by the same user fail in the database, however close the two requests are.
    going_user = IntegerField(null=True, unique=True)

    @property
    def going(self) -> bool:
        return self.status in GOING

    @property
    def status_label(self):
        return STATUSES.get(self.status, (self.status, "grey"))

    @property
    def path(self) -> Path:
        return export_dir() / f"{self.id}.xlsx"


def export_dir() -> Path:
    return Path(current_app.instance_path) / "exports"
