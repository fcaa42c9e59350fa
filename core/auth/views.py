"""The login, logout and password pages. The gate every request passes is core.auth.gate; how a typed
password is checked (throttle, lockout) is core.auth.passwords."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from core import audit, clock, sessions
from core.auth.gate import clear_session
from core.auth.passwords import password_attempt
from core.db import db
from core.org import User
from core.permissions import login_required, public
from core.web import safe_path

bp = Blueprint("auth", __name__)


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


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end_this()
    clear_session()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    user = current_user._get_current_object()
    sessions.end_all(user)
    audit.record("user.logout_everywhere", "user", user.id, f"{user.username} logged out everywhere")
    clear_session()
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
