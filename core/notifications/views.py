"""/notifications: a person's notifications, newest first, each opening its subject (the link its kind's
NotificationSubject gives) and marked read as it is opened; and which kinds also reach them outside the app (the notify hook: SMS, messaging apps)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.db import db
from core.notifications.models import Notification, NotifyOptOut
from core.notifications.service import link, outside_kinds_off, subjects
from core.parsing import parse_id
from core.permissions import login_required
from core.web import page

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def kinds() -> dict:
    """{notification kind: label} of every subject kind, for the list and the choices."""
    return {kind: label for subject in subjects().values() for kind, label in subject.kinds.items()}


def _mine():
    return Notification.select().where(Notification.user == current_user.id)


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """POST with `note`: mark that one read and open its case; without: mark them all read."""
    if request.method == "POST":
        note_id = parse_id(request.form.get("note"))
        if note_id is None:
            Notification.update(read=True).where(
                (Notification.user == current_user.id) & (Notification.read == False)
            ).execute()
            return redirect(url_for("notifications.index"))
        note = _mine().where(Notification.id == note_id).first()
        if note is None:  # someone else's, or gone: nothing to open
            return redirect(url_for("notifications.index"))
        Notification.update(read=True).where(Notification.id == note.id).execute()
        return redirect(link(note) or url_for("notifications.index"))
    notes = list(_mine().order_by(Notification.id.desc()).limit(100))
    return page("notifications/index.html", notes=notes, kinds=kinds())


@bp.route("/choices", methods=["GET", "POST"])
@login_required
def choices():
    """Which kinds go out through SMS/messaging too; every kind is always in the app."""
    if request.method == "POST":
        known = kinds()
        wanted = set(request.form.getlist("outside")) & set(known)
        with db.atomic():
            NotifyOptOut.delete().where(NotifyOptOut.user == current_user.id).execute()
            for kind in sorted(set(known) - wanted):
                NotifyOptOut.create(user=current_user.id, kind=kind)
        flash(_("Your choices have been saved."), "success")
        return redirect(url_for("notifications.choices"))
    return page("notifications/choices.html", kinds=kinds(), off=outside_kinds_off(current_user.id))
