"""Users: list with search, create, edit, roles, unlock. Every change is audited."""

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import JOIN, fn
from werkzeug.security import generate_password_hash
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from core import audit, editing, sessions
from core.admin import bp
from core.db import db
from core.editing import EditForm
from core.org import LANGUAGES, Department, Role, User, UserRole, department_tree
from core.parsing import parse_id, parse_int
from core.permissions import requires, role_label, unscoped
from core.web import message, page

PAGE_SIZE = 50


class UserForm(EditForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, dot, dash and underscore only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    department = SelectField(_l("Department"), coerce=int)
    roles = SelectMultipleField(_l("Roles"), coerce=int)
    language = SelectField(_l("Language"), choices=[SelectChoice(k, v) for k, v in LANGUAGES.items()])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"))

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        depts = [SelectChoice(d.id, "　" * depth + d.name) for depth, d in department_tree()]
        self.department.choices = [SelectChoice(0, "—"), *depts]
        self.roles.choices = [SelectChoice(r.id, role_label(r)) for r in Role.select().order_by(Role.id)]

    def validate_username(self, field):
        clash = User.select().where(fn.LOWER(User.username) == field.data.strip().lower())
        if self.editing:
            clash = clash.where(User.id != self.editing.id)
        if clash.exists():
            raise ValidationError(_l("This username is already taken."))

    def validate_password(self, field):
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if not field.data and self.editing is None:
            raise ValidationError(_l("A new user needs an initial password."))
        if field.data and len(field.data) < minimum:
            raise ValidationError(_l("At least %(num)d characters.", num=minimum))


def snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "name": user.name,
        "phone": user.phone,
        "department": user.department.name if user.department_id else None,
        "roles": sorted(r.code for r in user.roles()),
        "language": user.language,
        "active": user.active,
    }


def _filtered_users():
    query = User.select(User, Department).join(Department, JOIN.LEFT_OUTER).order_by(User.username)
    q = request.args.get("q", "").strip()
    if q:
        like = f"%{q.lower()}%"
        query = query.where((fn.LOWER(User.username) ** like) | (fn.LOWER(User.name) ** like) | (User.phone**like))
    if request.args.get("department", type=parse_id):
        query = query.where(User.department == request.args.get("department", type=parse_id))
    if request.args.get("role", type=parse_id):
        query = query.where(
            User.id.in_(UserRole.select(UserRole.user).where(UserRole.role == request.args.get("role", type=parse_id)))
        )
    return query


@bp.route("/users")
@requires("admin.users")
def users():
    page_no = max(request.args.get("page", 1, type=parse_int), 1)
    query = _filtered_users()
    total = query.count()
    rows = list(query.paginate(page_no, PAGE_SIZE))
    roles_by_user: dict[int, list[str]] = {}
    for link in UserRole.select(UserRole, Role).join(Role).where(UserRole.user.in_([u.id for u in rows])):
        roles_by_user.setdefault(link.user_id, []).append(role_label(link.role))
    return page(
        "admin/users.html",
        "admin/_user_rows.html",
        "user-rows",
        users=rows,
        roles_by_user=roles_by_user,
        total=total,
        page_no=page_no,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        departments=department_tree(),
        roles=[(r.id, role_label(r)) for r in Role.select().order_by(Role.id)],
    )


def _fields(form: UserForm) -> dict:
    fields = {
        "username": form.username.data.strip(),
        "name": form.name.data.strip(),
        "phone": (form.phone.data or "").strip(),
        "department": form.department.data or None,
        "language": form.language.data,
        "active": form.active.data,
    }
    if form.password.data:
        fields["password_hash"] = generate_password_hash(form.password.data)
    return fields


def _ends_sessions(form: UserForm, user: User) -> bool:
    """Disabling a user, changing their roles or resetting their password ends their sessions."""
    return (
        (user.active and not form.active.data)
        or bool(form.password.data)
        or {r.id for r in user.roles()} != set(form.roles.data)
    )


def _set_roles(form: UserForm, user: User):
    UserRole.delete().where(UserRole.user == user).execute()
    for role_id in form.roles.data:
        UserRole.create(user=user, role=role_id)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("admin.users")
def user_new():
    form = UserForm()
    if form.validate_on_submit():
        with db.atomic():
            user = User.create(**_fields(form))
            _set_roles(form, user)
            audit.record("user.create", "user", user.id, user.username, before=None, after=snapshot(user))
        flash(_("User %(name)s created.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return page("admin/user_form.html", form=form, user=None, status=422 if form.errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("admin.users")
@unscoped
def user_edit(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return message(_("There is no such user."), 404)
    form = UserForm(obj=user, editing=user)
    if request.method == "GET":
        form.department.data = user.department_id or 0
        form.roles.data = [r.id for r in user.roles()]
        form.show(user.version)
    if form.validate_on_submit():
        if user.id == current_user.id and not form.active.data:
            form.active.errors.append(_("You cannot disable your own account."))
        else:
            before = snapshot(user)
            try:
                with db.atomic():
                    ends_sessions = _ends_sessions(form, user)
                    form.save(user, _fields(form))
                    _set_roles(form, user)
                    if ends_sessions:  # an administrator editing themselves keeps the session in use
                        sessions.end_all(user, keep_this=user.id == current_user.id)
                    after = snapshot(User.get_by_id(user.id))
                    if form.password.data:
                        after["password"] = "(reset)"
                    audit.record("user.update", "user", user.id, user.username, before=before, after=after)
            except editing.Stale:
                form.refuse("user", user.id, User.get_by_id(user.id).version)
                return page("admin/user_form.html", form=form, user=user, status=409)
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return page("admin/user_form.html", form=form, user=user, status=422 if form.errors else 200)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires("admin.users")
@unscoped
def user_unlock(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return message(_("There is no such user."), 404)
    with db.atomic():
        was = user.locked_until
        user.locked_until, user.failed_logins = None, 0
        user.save(only=[User.locked_until, User.failed_logins])
        audit.record(
            "user.unlock", "user", user.id, user.username, before={"locked_until": was}, after={"locked_until": None}
        )
    flash(_("User %(name)s unlocked.", name=user.username), "success")
    return redirect(url_for("admin.users"))
