"""The gate every request passes through: the session's user (login_manager's loader), session
validity, the idle timeout, and the permission each view declares. What ends a session is in
core.sessions."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, logout_user

from core import clock, sessions
from core.org import User
from core.permissions import LOGIN, PUBLIC, is_static
from core.web import htmx

SEEN_RESOLUTION = timedelta(minutes=1)  # how finely the idle timeout is tracked
login_manager = LoginManager()


@login_manager.user_loader
def load_user(user_id):
    """The session's user, or None (anonymous) when the user is disabled or the session has ended."""
    user = User.get_or_none((User.id == int(user_id)) & (User.active == True))
    reason = sessions.ENDED if user is None else sessions.problem(user)
    if reason:
        g.session_ended = reason
        return None
    return user


def init_app(app):
    login_manager.init_app(app)
    app.before_request(enforce_session_and_permission)


def _come_back_to() -> str | None:
    """Where to go after logging in again: the page asked for, or for a poll (a dashboard widget, the
    wall) the page it was refreshing, not the fragment."""
    if request.method != "GET":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if htmx and getattr(view, "polled", False) and htmx.current_url:
        page = urlsplit(htmx.current_url)
        if page.netloc == request.host:
            return page.path + (f"?{page.query}" if page.query else "")
    return request.full_path.rstrip("?")


def _to_login(message):
    """Send the browser to the login page; htmx requests get a full-page redirect, not a fragment."""
    flash(message, "warning")
    target = url_for("auth.login", next=_come_back_to())
    if htmx:
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def enforce_session_and_permission():
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None:
        return None  # 404 / 405 are answered by Flask itself
    needed = PUBLIC if is_static(request.endpoint) else getattr(view, "permission", None)
    if needed == PUBLIC:
        return None
    if needed is None:
        current_app.logger.error("view %s declares no permission: refused", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        ended = g.get("session_ended")
        if ended:
            clear_session()
        if ended == sessions.TOO_OLD:
            return _to_login(
                _(
                    "You have been logged in for %(hours)d hours: please log in again.",
                    hours=current_app.config["SESSION_MAX_HOURS"],
                )
            )
        if ended:
            return _to_login(_("Your session has ended. Please log in again."))
        return _to_login(_("Please log in first."))
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    seen = session.get("seen")
    seen = None if seen is None else datetime.fromisoformat(seen)
    now = clock.now()
    if seen is not None and now - seen > idle:
        sessions.end_this()  # a copy of the cookie, however active, ends with it
        clear_session()
        return _to_login(_("Your session expired after a period of inactivity. Please log in again."))
    # Automatic refreshes (dashboard polling) are not activity. The mark moves at most once a minute:
    # rewriting it on every request would re-sign and resend the session cookie on every request.
    if not (getattr(view, "polled", False) and htmx) and (seen is None or now - seen >= SEEN_RESOLUTION):
        session["seen"] = now.isoformat()
    if needed != LOGIN and not current_user.can(needed):
        abort(403)
    return None


def clear_session():
    """Log out of this session, keeping only the chosen language."""
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
