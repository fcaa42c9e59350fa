from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from core import clock
from core.db import BaseModel
from core.org import User
from core.photos import Photo


class Attachment(BaseModel):
    """A photo attached to a subject: `subject_kind` names who owns the subject (an AttachmentSubject's
    kind), `subject_id` its row; `stage` what the photo shows of it (a case's report, handling or
    verification), `event_id` the event it came with (a case's WorkOrderEvent), when there is one."""

    subject_kind = CharField(max_length=40)
    subject_id = IntegerField()
    photo = ForeignKeyField(Photo, on_delete="RESTRICT")
    stage = CharField(max_length=12, null=True)
    event_id = IntegerField(null=True)
    added_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    added_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "attachment"
        indexes = (
            (("subject_kind", "subject_id", "photo", "stage"), True),
            (("subject_kind", "subject_id"), False),
        )
