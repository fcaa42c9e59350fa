"""The audit trail: who changed what, from what to what, when. Append-only."""

from flask import has_request_context, request
from flask_login import current_user
from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from core import clock
from core.db import BaseModel, JSONField
from core.org import User


class AuditEntry(BaseModel):
    at = DateTimeField(default=clock.now, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_name = CharField(max_length=60, default="")
    action = CharField(max_length=60, index=True)
    object_type = CharField(max_length=40)
    object_id = CharField(max_length=40, default="")
    summary = TextField(default="")
    before = JSONField(null=True)
    after = JSONField(null=True)
    ip = CharField(max_length=64, default="")


def record(action: str, obj_type: str, obj_id="", summary="", before=None, after=None, actor=None):
    """Write one audit row. Only changed keys are kept when both sides are dicts."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if isinstance(before, dict) and isinstance(after, dict):
        keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(keys)}
        after = {k: after.get(k) for k in sorted(keys)}
    return AuditEntry.create(
        actor=actor if isinstance(actor, User) else None,  # a system actor has a name, not a user row
        actor_name=actor.username if actor else "system",
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        summary=summary,
        before=before,
        after=after,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
