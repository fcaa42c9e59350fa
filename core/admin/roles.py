"""Roles × permissions: a matrix of checkboxes, each toggled by htmx and audited."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from core import audit
from core.admin import bp
from core.audit import AuditEntry
from core.db import db
from core.org import GrantChoice, Permission, Role, RolePermission
from core.permissions import labels, requires, role_label, unscoped
from core.plugins import host
from core.web import message, page


class RoleForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z0-9_]+$", message=_l("Lower-case letters, digits and underscore only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])

    def validate_code(self, field):
        if Role.select().where(Role.code == field.data.strip()).exists():
            raise ValidationError(_l("A role with this code exists."))


def _matrix_context(form=None):
    roles = list(Role.select().order_by(Role.id))
    grants = {(rp.role_id, rp.permission_id) for rp in RolePermission.select()}
    names = labels(host())
    permissions = [(p.name, names.get(p.name, p.name), p.source) for p in Permission.select().order_by(Permission.name)]
    return {
        "roles": [(r, role_label(r)) for r in roles],
        "permissions": permissions,
        "grants": grants,
        "form": form or RoleForm(),
    }


@bp.route("/roles", methods=["GET", "POST"])
@requires("admin.roles")
def roles():
    form = RoleForm()
    if form.validate_on_submit():
        with db.atomic():
            role = Role.create(code=form.code.data.strip(), name=form.name.data.strip())
            audit.record("role.create", "role", role.id, role.code, after={"code": role.code, "name": role.name})
        flash(_("Role %(name)s created.", name=role.name), "success")
        return redirect(url_for("admin.roles"))
    return page("admin/roles.html", status=422 if form.errors else 200, **_matrix_context(form))


@bp.route("/roles/<int:role_id>/grant", methods=["POST"])
@requires("admin.roles")
@unscoped
def role_grant(role_id):
    role = Role.get_or_none(Role.id == role_id)
    permission = Permission.get_or_none(Permission.name == request.form.get("permission", ""))
    if role is None or permission is None:
        return message(_("There is no such role or permission."), 404)
    granted = request.form.get("granted") == "on"
    if role.code == "admin" and permission.name == "admin.roles" and not granted:
        return message(_("The administrator role must keep the right to edit roles."), 409)
    with db.atomic():
        # the administrator's from now on: `flask db upgrade` no longer applies the code's default roles to it
        GrantChoice.insert(role=role, permission=permission, granted=granted).on_conflict(
            conflict_target=[GrantChoice.role, GrantChoice.permission], update={GrantChoice.granted: granted}
        ).execute()
        # The check and the write are one statement, as in core.editing: of two clicks at the same instant one
        # changes the grant, the other changes nothing and is told who did it first.
        if granted:
            changed = RolePermission.insert(role=role, permission=permission).on_conflict_ignore().as_rowcount()
        else:
            changed = RolePermission.delete().where(
                (RolePermission.role == role) & (RolePermission.permission == permission)
            )
        if changed.execute() == 1:
            audit.record(
                "role.grant" if granted else "role.revoke",
                "role",
                role.id,
                role.name,
                before={permission.name: not granted},
                after={permission.name: granted},
            )
            return page("admin/_grant.html", role=role, permission=permission.name, granted=granted)
    return page(
        "admin/_grant.html",
        role=role,
        permission=permission.name,
        granted=granted,
        note=_already(role, permission.name, granted),
        status=409,
    )


def _already(role, permission: str, granted: bool) -> str:
    recent = (
        AuditEntry.select()
        .where(
            (AuditEntry.object_type == "role")
            & (AuditEntry.object_id == str(role.id))
            & (AuditEntry.action.in_(["role.grant", "role.revoke"]))
        )
        .order_by(AuditEntry.id.desc())
        .limit(200)
    )
    last = next((entry for entry in recent if permission in (entry.after or {})), None)  # after: {permission: granted}
    if granted:
        text = _("%(role)s already has %(permission)s", role=role_label(role), permission=permission)
    else:
        text = _("%(role)s no longer has %(permission)s", role=role_label(role), permission=permission)
    if last is None:
        return _("%(state)s; nothing changed.", state=text)
    return _(
        "%(state)s: %(who)s changed it at %(when)s. Nothing changed.",
        state=text,
        who=last.actor_name,
        when=last.at.strftime("%Y-%m-%d %H:%M:%S"),
    )
