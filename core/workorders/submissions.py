"""A report is saved once, however often its form is posted. The report and hotline forms carry a
random key made when the form is shown; the first post with it that creates a case records the key beside
the case, in the case's own transaction, under a primary key, so two simultaneous posts cannot both
create. A repeat within LIFE returns the first case. A refused post (a validation error) records
nothing: the form comes back with the same key."""

import re
import secrets
from datetime import timedelta

from peewee import IntegrityError

from core.db import db
from core.workorders.models import SubmissionKey, WorkOrder

LIFE = timedelta(hours=24)
FIELD = "submission_key"
_SHAPE = re.compile(r"^[0-9a-f]{32}$")


class Repeated(Exception):
    """The key was used by another post that created its case first."""


def new_key() -> str:
    return secrets.token_hex(16)


def key_of(form) -> str | None:
    """The key a posted form carries, or None (no key, or not one of ours: then nothing is deduplicated)."""
    raw = (form.get(FIELD) or "").strip()
    return raw if _SHAPE.match(raw) else None


def first_case(key: str | None, user, now) -> WorkOrder | None:
    """The case an earlier post of this form by this user created, within LIFE."""
    if key is None:
        return None
    found = (
        SubmissionKey.select(SubmissionKey, WorkOrder)
        .join(WorkOrder)
        .where((SubmissionKey.key == key) & (SubmissionKey.user == user) & (SubmissionKey.created_at >= now - LIFE))
        .first()
    )
    return found.order if found else None


def record(key: str, user, order: WorkOrder, now):
    """Inside the transaction that creates `order`: claim the key, or raise Repeated (which rolls the
    case back). Keys past their life are forgotten here, so the table holds one day of reports."""
    SubmissionKey.delete().where(SubmissionKey.created_at < now - LIFE).execute()
    try:
        with db.atomic():  # a savepoint: on PostgreSQL the failed insert must not poison the transaction
            SubmissionKey.create(key=key, user=user, order=order, created_at=now)
    except IntegrityError:
        raise Repeated from None
