"""Login, logout, password change, lockout, idle timeout, and the permission gate every request
passes through. What ends a session is in core.sessions; throttling per address in core.throttle."""

from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from core import audit, clock, sessions, throttle
from core.db import db
from core.org import User
from core.permissions import LOGIN, PUBLIC, is_static, login_required, public
from core.web import htmx, safe_path

bp = Blueprint("auth", __name__)
UNKNOWN_USER_HASH = generate_password_hash("no such user")
SEEN_RESOLUTION = timedelta(minutes=1)  # how finely the idle timeout is tracked
login_manager = LoginManager()


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )

    def validate_new(self, field):
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        Length(min=minimum, message=_l("At least %(num)d characters.", num=minimum))(self, field)
        if field.data == self.current.data:
            raise ValidationError(_l("The new password must differ from the current one."))


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
            _clear_session()
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
        _clear_session()
        return _to_login(_("Your session expired after a period of inactivity. Please log in again."))
    # Automatic refreshes (dashboard polling) are not activity. The mark moves at most once a minute:
    # rewriting it on every request would re-sign and resend the session cookie on every request.
    if not (getattr(view, "polled", False) and htmx) and (seen is None or now - seen >= SEEN_RESOLUTION):
        session["seen"] = now.isoformat()
    if needed != LOGIN and not current_user.can(needed):
        abort(403)
    return None


def _clear_session():
    """Log out of this session, keeping only the chosen language."""
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = User.get_or_none(User.username == form.username.data.strip())
        refused = password_attempt(user, form.password.data, wrong=_("Wrong username or password."))
        if refused:
            form.password.errors.append(refused.message)
            if refused.status == 429:
                return render_template("auth/login.html", form=form), 429
        else:
            session.clear()
            login_user(user)
            sessions.begin(user)
            session["seen"] = clock.now().isoformat()
            session["lang"] = user.language
            return redirect(safe_path(request.args.get("next")) or url_for("home.index"))
    if form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status


class Refusal(NamedTuple):
    message: str
    status: int  # 429: too many attempts from the address; 422: the password was not accepted
    reason: str  # throttled, unknown, disabled, locked, wrong (what the audit log says)


def password_attempt(user, password: str, *, wrong: str, logging_in: bool = True) -> Refusal | None:
    """Every password typed in (the login, the current password of /password) goes through here, so
    that guessing costs the same on every form: the attempt is counted per client address
    (core.throttle, scope "login", one budget for both forms) and refused beyond the limit without
    looking at the password; then it is checked against the account (`_check_credentials`: counted,
    locked after LOGIN_MAX_FAILURES). None when the password is right; `wrong` is the answer to a wrong
    one. A right password clears the account's count, and a login records its time."""
    minutes = current_app.config["LOGIN_THROTTLE_MINUTES"]
    if not throttle.allow("login", current_app.config["LOGIN_THROTTLE_ATTEMPTS"], minutes):
        return Refusal(throttle.refusal(minutes), 429, "throttled")
    refused = _check_credentials(user, password, wrong)
    if refused:
        return refused
    now = clock.now()
    changes = {User.failed_logins: 0, User.locked_until: None}
    if logging_in:
        changes[User.last_login_at] = now
        user.last_login_at = now
    User.update(changes).where(User.id == user.id).execute()
    user.failed_logins, user.locked_until = 0, None
    return None


def _check_credentials(user, password, wrong: str) -> Refusal | None:
    """A refusal, or None when the password is right. The password hash is checked in every case, so
    that no answer comes sooner than another. A locked or disabled account gives one answer whatever
    the password: only an attempt that succeeds tells a password was right."""
    if user is None:
        check_password_hash(UNKNOWN_USER_HASH, password)
        return Refusal(wrong, 422, "unknown")
    if not user.active:
        user.check_password(password)  # not counted: it cannot log in anyway
        return Refusal(_("This account is disabled. Ask an administrator."), 422, "disabled")
    attempt = _count_attempt(user)
    right = user.check_password(password)
    if attempt.locked_until is not None:
        message = _(
            "This account is locked after too many failed logins until %(until)s. "
            "Wait, or ask an administrator to unlock it.",
            until=attempt.locked_until.strftime("%H:%M"),
        )
        return Refusal(message, 422, "locked")
    if right:
        return None
    if attempt.locks:
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        audit.record("user.locked", "user", user.id, user.username, after={"failures": limit}, actor=user)
        message = _(
            "Too many failed logins: this account is locked for %(minutes)d minutes.",
            minutes=current_app.config["LOGIN_LOCK_MINUTES"],
        )
        return Refusal(message, 422, "locked")
    return Refusal(wrong, 422, "wrong")


class Attempt(NamedTuple):
    locked_until: datetime | None  # the account was locked already: refused whatever the password
    locks: bool  # this attempt reached LOGIN_MAX_FAILURES: unless its password is right, the account is locked


def _count_attempt(user) -> Attempt:
    """Count the attempt as a failure before its password is checked (a right one clears the count): one
    atomic increment, then the count it made, in one transaction. Parallel guesses each get their own
    number, so no more than LOGIN_MAX_FAILURES passwords are ever checked before the lock. Attempts during
    a lock count too, and the count goes back to 0 only on a successful login or an unlock: once a lock has
    run out, the next wrong password locks the account again."""
    now = clock.now()
    with db.atomic():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        count, locked_until = (
            User.select(User.failed_logins, User.locked_until).where(User.id == user.id).tuples().get()
        )
        if locked_until is not None and locked_until > now:
            return Attempt(locked_until, False)
        if count < current_app.config["LOGIN_MAX_FAILURES"]:
            return Attempt(None, False)
        until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        User.update(locked_until=until).where(User.id == user.id).execute()
        return Attempt(None, True)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end_this()
    _clear_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    user = current_user._get_current_object()
    sessions.end_all(user)
    audit.record("user.logout_everywhere", "user", user.id, f"{user.username} logged out everywhere")
    _clear_session()
    flash(_("You have logged out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        refused = password_attempt(user, form.current.data, wrong=_("The current password is wrong."), logging_in=False)
        if refused:
            form.current.errors.append(refused.message)
            status = refused.status
            audit.record("user.password_failed", "user", user.id, user.username, after={"reason": refused.reason})
        else:
            current_user.set_password(form.new.data)
            with db.atomic():
                User.update(password_hash=current_user.password_hash).where(User.id == current_user.id).execute()
                sessions.end_all(current_user, keep_this=True)
                audit.record("user.password", "user", current_user.id, current_user.username)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
    if form.errors and status == 200:
        status = 422
    return render_template("auth/password.html", form=form), status
