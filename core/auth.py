"""Login, logout, password change, lockout, idle timeout, and the permission gate every request
passes through."""

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
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

from core import audit, clock
from core.org import User
from core.permissions import LOGIN, PUBLIC, is_static, login_required, public
from core.web import htmx

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
    return User.get_or_none((User.id == int(user_id)) & (User.active == True))


def init_app(app):
    login_manager.init_app(app)
    app.before_request(enforce_session_and_permission)


def _to_login(message):
    """Send the browser to the login page; htmx requests get a full-page redirect, not a fragment."""
    flash(message, "warning")
    target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
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
        return _to_login(_("Please log in first."))
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    seen = session.get("seen")
    seen = None if seen is None else datetime.fromisoformat(seen)
    now = clock.now()
    if seen is not None and now - seen > idle:
        logout_user()
        session.clear()
        return _to_login(_("Your session expired after a period of inactivity. Please log in again."))
    # Automatic refreshes (dashboard polling) are not activity. The mark moves at most once a minute:
    # rewriting it on every request would re-sign and resend the session cookie on every request.
    if not (getattr(view, "polled", False) and htmx) and (seen is None or now - seen >= SEEN_RESOLUTION):
        session["seen"] = now.isoformat()
    if needed != LOGIN and not current_user.can(needed):
        abort(403)
    return None


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = User.get_or_none(User.username == form.username.data.strip())
        error = _check_credentials(user, form.password.data)
        if error:
            form.password.errors.append(error)
        else:
            session.clear()
            login_user(user)
            session["seen"] = clock.now().isoformat()
            session["lang"] = user.language
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if not form.errors else 422
    return render_template("auth/login.html", form=form), status


def _check_credentials(user, password):
    """Return an error message, or None when the login may proceed. Counts failures and locks.
    Whether an account is disabled or locked is told only to someone who knows its password."""
    wrong = _("Wrong username or password.")
    if user is None:
        check_password_hash(UNKNOWN_USER_HASH, password)  # as slow as a real check: no timing hint
        return wrong
    if not user.check_password(password):
        if user.is_locked() or not user.active:
            return wrong
        user.failed_logins += 1
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if user.failed_logins >= limit:
            user.locked_until = clock.now() + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            user.save()
            audit.record("user.locked", "user", user.id, user.username, after={"failures": limit}, actor=user)
            return _(
                "Too many failed logins: this account is locked for %(minutes)d minutes.",
                minutes=current_app.config["LOGIN_LOCK_MINUTES"],
            )
        user.save()
        return wrong
    if user.is_locked():
        return _(
            "This account is locked after too many failed logins until %(until)s. "
            "Wait, or ask an administrator to unlock it.",
            until=user.locked_until.strftime("%H:%M"),
        )
    if not user.active:
        return _("This account is disabled. Ask an administrator.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = clock.now()
    user.save()
    return None


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            current_user.set_password(form.new.data)
            current_user.save()
            audit.record("user.password", "user", current_user.id, current_user.username)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("home.index"))
    status = 200 if not form.errors else 422
    return render_template("auth/password.html", form=form), status
