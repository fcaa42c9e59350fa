"""What an attachment can belong to: an `AttachmentSubject` per kind, registered by the feature or plugin
that owns the objects through the `attachment_subjects()` hook."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AttachmentSubject:
    """`kind`: the subject_kind of the attachments ("workorder", "<plugin>.<thing>"), unique across
    plugins; `label`: what the thing is called; `may_view(user, subject_id)`: whether the user may see
    the thing and so its attachments (the same scope check as the thing's own page); `variants`: those
    of core.photos served (a deduction's evidence: not the original, whose EXIF holds where it was taken)."""

    kind: str
    label: object
    may_view: Callable[[object, int], bool]
    variants: tuple[str, ...] = ("thumb", "display", "original")


def subjects() -> dict[str, AttachmentSubject]:
    """kind → subject, of the enabled plugins (a disabled plugin's kinds are not there)."""
    from flask import current_app

    host = current_app.extensions["xiuhua.plugins"]
    return {subject.kind: subject for _, subject in host.items("attachment_subjects")}
