"""Attaching photos and reading them back.

attach("workorder", order.id, photo, stage="report", by=user)
for link in attachments_of("workorder", order.id, stage="report"): ...
"""

from core.attachments.models import Attachment
from core.photos import Photo


def _user_id(user):
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return getattr(user, "id", user)


def attach(subject_kind: str, subject_id: int, photo: Photo, *, stage=None, by=None, event_id=None) -> None:
    """Attach a photo to a subject (at a stage); attaching it again at the same stage changes nothing."""
    if stage is None and _of(subject_kind, subject_id).where(Attachment.photo == photo, Attachment.stage.is_null()):
        return  # the unique index does not tell NULL stages apart
    Attachment.insert(
        subject_kind=subject_kind,
        subject_id=subject_id,
        photo=photo,
        stage=stage,
        event_id=event_id,
        added_by=_user_id(by),
    ).on_conflict_ignore().execute()


def _of(subject_kind: str, subject_id: int):
    return Attachment.select().where((Attachment.subject_kind == subject_kind) & (Attachment.subject_id == subject_id))


def attachments_of(subject_kind: str, subject_id: int, stage=None) -> list[Attachment]:
    """The subject's attachments (only those of `stage` when given), in the order they were attached."""
    query = _of(subject_kind, subject_id)
    if stage is not None:
        query = query.where(Attachment.stage == stage)
    return list(query.order_by(Attachment.id))


def first_attachments(subject_kind: str, subject_ids) -> dict:
    """subject id → its first attachment (None for one without), for a page listing many subjects."""
    found = dict.fromkeys(subject_ids)
    if found:
        query = Attachment.select().where(
            (Attachment.subject_kind == subject_kind) & Attachment.subject_id.in_(list(found))
        )
        for link in query.order_by(Attachment.id.desc()):
            found[link.subject_id] = link
    return found
