"""Evaluation: manual deductions (考评扣分), the published snapshots with their versions, and the two
indexes the indicators need on the event log."""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    ModelIndex,
    TextField,
    fn,
)

from core import clock
from core.db import BaseModel, JSONField
from core.org import User
from core.workorders.models import WorkOrderEvent

# The event log is read by action and time (WorkOrderEvent.Meta.indexes), and by the deadline of the stage
# an event stopped (data.ended_stage and data.ended_due, see core.evaluation.indicators). Declared here,
# with the code that needs it; created by migration 0010 (on PostgreSQL with `data::json ->> ...`).
WorkOrderEvent.add_index(
    ModelIndex(
        WorkOrderEvent,
        (fn.json_extract(WorkOrderEvent.data, "$.ended_stage"), fn.json_extract(WorkOrderEvent.data, "$.ended_due")),
        name="work_order_event_ended",
    )
)


DEDUCTION = "evaluation.deduction"  # the attachment kind of a deduction's evidence photo (core.attachments)


class Deduction(BaseModel):
    """Points taken off one object's score for a reason (rework, falsified handling, buck-passing)."""

    level = CharField(max_length=16)
    object_key = CharField(max_length=20)  # area code, department id or user id, as in the tables
    object_name = CharField(max_length=100, default="")
    day = DateField(index=True)  # the deduction counts in every period containing this day
    points = DecimalField(max_digits=6, decimal_places=2)
    reason = TextField()
    author = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=clock.now)
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    withdraw_reason = TextField(default="")

    class Meta:
        indexes = ((("level", "object_key"), False),)


class Snapshot(BaseModel):
    """One period's evaluation (a weekly evaluation, a monthly review...): its versions are kept."""

    period = CharField(max_length=24, unique=True)  # the canonical period text, e.g. "2026-10"
    kind = CharField(max_length=8)  # week, month, quarter, year, custom
    created_at = DateTimeField(default=clock.now)


class SnapshotVersion(BaseModel):
    """The computed tables of every level and the bulletin, frozen. A draft may be recomputed; a
    published version never changes: republishing computes and publishes a new one."""

    snapshot = ForeignKeyField(Snapshot, backref="versions", on_delete="CASCADE")
    number = IntegerField()
    computed_at = DateTimeField()
    data = JSONField()
    published_at = DateTimeField(null=True)
    published_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    note = TextField(default="")  # why it was republished

    class Meta:
        indexes = ((("snapshot", "number"), True),)
