"""The one route that serves an attached photo: `/attachments/<id>/<variant>` (thumb, display, original).
An attachment of a kind no enabled plugin registers, or whose subject the user may not see (the subject's
`may_view`), is a 404, as every object outside a user's scope (core.permissions.scoped)."""

from flask import Blueprint, abort
from flask_login import current_user

from core import photos
from core.attachments.models import Attachment
from core.attachments.subjects import subjects
from core.permissions import login_required, scoped

bp = Blueprint("attachments", __name__, url_prefix="/attachments")


@bp.route("/<int:attachment_id>/<any(thumb, display, original):variant>")
@login_required
@scoped("attachment_id", kind="attachment")
def photo(attachment_id, variant):
    link = Attachment.get_or_none(Attachment.id == attachment_id)
    subject = subjects().get(link.subject_kind) if link is not None else None
    if subject is None or variant not in subject.variants or not subject.may_view(current_user, link.subject_id):
        abort(404)
    return photos.send(link.photo, variant)
