"""Saved filters of the case list: a user names the list's current filter and sort, finds it above the
inbox and deletes it. Only the user's own are listed or deleted; the query string saved is the list's
own parameters, and one saved long ago (a box or a status that no longer exists) is read through the
list's checks like any URL: what it names that the list does not know is ignored."""

from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import IntegrityError

from core.db import db
from core.parsing import strip_controls
from core.permissions import login_required, scoped
from core.web import htmx, message
from core.workorders.models import SavedFilter
from core.workorders.scope import can_view_cases
from core.workorders.views import bp

PARAMS = ("box", "q", "grid", "category", "status", "source", "sort")  # what the list's filter form sends
MAX_VALUE = 200  # characters of one parameter kept
MAX_PER_USER = 30
NAME_LENGTH = 60


def clean_query(pairs) -> str:
    """The list's parameters among `pairs` (name, value), the empty ones and the page left out."""
    kept = {}
    for key, value in pairs:
        value = strip_controls(str(value)).strip()[:MAX_VALUE]
        if key in PARAMS and value and key not in kept:
            kept[key] = value
    return urlencode([(key, kept[key]) for key in PARAMS if key in kept])


def saved_of(user) -> list[SavedFilter]:
    return list(SavedFilter.select().where(SavedFilter.user == user.id).order_by(SavedFilter.name, SavedFilter.id))


def link(saved: SavedFilter) -> str:
    """The inbox with the saved filter, read back through clean_query (a stored string is not trusted)."""
    query = clean_query(parse_qsl(saved.query or "", keep_blank_values=False))
    return url_for("workorders.inbox") + (f"?{query}" if query else "")


def _answer(query: str, note: str):
    """The saved filters' list again with `note` (htmx), or the inbox with `query` (a plain form)."""
    if htmx:
        return render_template(
            "workorders/_saved_filters.html",
            saved_filters=saved_of(current_user),
            current_query=query,
            filter_link=link,
            note=note,
        )
    flash(note, "success")
    return redirect(url_for("workorders.inbox") + (f"?{query}" if query else ""))


@bp.route("/filters", methods=["POST"])
@login_required
def save_filter():
    """Save the list's current filter and sort (the filter form's fields come with the request) under a
    name; a name the user already has gets the new filter."""
    if not can_view_cases(current_user):
        abort(403)
    name = " ".join(strip_controls(request.form.get("name", "")).split())
    query = clean_query(request.form.items(multi=True))
    if not name:
        return message(_("Give the filter a name."), 400)
    if len(name) > NAME_LENGTH:
        return message(_("A filter's name has at most %(n)d characters.", n=NAME_LENGTH), 400)
    with db.atomic():
        existing = SavedFilter.get_or_none((SavedFilter.user == current_user.id) & (SavedFilter.name == name))
        if existing is not None:
            existing.query = query
            existing.save()
        elif SavedFilter.select().where(SavedFilter.user == current_user.id).count() >= MAX_PER_USER:
            return message(_("You have %(n)d saved filters: delete one first.", n=MAX_PER_USER), 400)
        else:
            try:
                with db.atomic():  # a savepoint: the transaction goes on after a refused insert
                    SavedFilter.create(user=current_user.id, name=name, query=query)
            except IntegrityError:  # the same name saved at the same moment from another tab
                pass
    return _answer(query, _("Filter “%(name)s” saved.", name=name))


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
@login_required
@scoped("filter_id", kind="saved_filter")
def filter_delete(filter_id):
    saved = SavedFilter.get_or_none((SavedFilter.id == filter_id) & (SavedFilter.user == current_user.id))
    if saved is None:
        abort(404)  # someone else's, or gone already
    saved.delete_instance()
    return _answer(clean_query(request.form.items(multi=True)), _("Filter “%(name)s” deleted.", name=saved.name))
