"""Departments: a tree with a type. A department with users or sub-departments cannot be deleted."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import fn
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from core import audit, editing
from core.admin import bp
from core.db import db
from core.editing import EditForm
from core.org import DEPARTMENT_TYPES, REQUEST_ROUTES, Department, User, department_tree, descendants
from core.permissions import requires, unscoped
from core.web import message, page


class DepartmentForm(EditForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, dot, dash and underscore only.")),
        ],
    )
    type = SelectField(_l("Type"), choices=[SelectChoice(k, v) for k, v in DEPARTMENT_TYPES.items()])
    parent = SelectField(_l("Parent department"), coerce=int)
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    sort = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(min=-9999, max=9999)])
    # core.workorders.department: whether a handler's requests wait for the department's head first
    requests = SelectField(
        _l("Handlers' return, extension and suspension requests"),
        choices=[SelectChoice(k, v) for k, v in REQUEST_ROUTES.items()],
        default="direct",
    )

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        excluded = descendants(editing) if editing else set()
        self.parent.choices = [SelectChoice(0, "—")] + [
            SelectChoice(d.id, "　" * depth + d.name) for depth, d in department_tree() if d.id not in excluded
        ]

    def validate_code(self, field):
        clash = Department.select().where(fn.LOWER(Department.code) == field.data.strip().lower())
        if self.editing:
            clash = clash.where(Department.id != self.editing.id)
        if clash.exists():
            raise ValidationError(_l("Another department already has this code."))


def snapshot(dept: Department) -> dict:
    return {
        "name": dept.name,
        "code": dept.code,
        "type": dept.type,
        "parent": dept.parent.name if dept.parent_id else None,
        "phone": dept.phone,
        "sort": dept.sort,
        "requests": "head" if dept.requests_via_head else "direct",
    }


def _fields(form: DepartmentForm) -> dict:
    return {
        "name": form.name.data.strip(),
        "code": form.code.data.strip(),
        "type": form.type.data,
        "parent": form.parent.data or None,
        "phone": (form.phone.data or "").strip(),
        "sort": form.sort.data or 0,
        "requests_via_head": form.requests.data == "head",
    }


@bp.route("/departments")
@requires("admin.departments")
def departments():
    counts = dict(Department.select(Department.id, fn.COUNT(User.id)).join(User).group_by(Department.id).tuples())
    return page("admin/departments.html", tree=department_tree(), counts=counts)


@bp.route("/departments/new", methods=["GET", "POST"])
@requires("admin.departments")
def department_new():
    form = DepartmentForm()
    if form.validate_on_submit():
        with db.atomic():
            dept = Department.create(**_fields(form))
            audit.record("department.create", "department", dept.id, dept.name, after=snapshot(dept))
        flash(_("Department %(name)s created.", name=dept.name), "success")
        return redirect(url_for("admin.departments"))
    return page("admin/department_form.html", form=form, dept=None, status=422 if form.errors else 200)


@bp.route("/departments/<int:dept_id>", methods=["GET", "POST"])
@requires("admin.departments")
@unscoped
def department_edit(dept_id):
    dept = Department.get_or_none(Department.id == dept_id)
    if dept is None:
        return message(_("There is no such department."), 404)
    form = DepartmentForm(obj=dept, editing=dept)
    if request.method == "GET":
        form.parent.data = dept.parent_id or 0
        form.requests.data = "head" if dept.requests_via_head else "direct"
        form.show(dept.version)
    if form.validate_on_submit():
        before = snapshot(dept)
        try:
            with db.atomic():
                form.save(dept, _fields(form))
                after = snapshot(Department.get_by_id(dept.id))
                audit.record("department.update", "department", dept.id, dept.name, before=before, after=after)
        except editing.Stale:
            form.refuse("department", dept.id, Department.get_by_id(dept.id).version)
            return page("admin/department_form.html", form=form, dept=dept, status=409)
        flash(_("Department %(name)s saved.", name=dept.name), "success")
        return redirect(url_for("admin.departments"))
    return page("admin/department_form.html", form=form, dept=dept, status=422 if form.errors else 200)


@bp.route("/departments/<int:dept_id>/delete", methods=["POST"])
@requires("admin.departments")
@unscoped
def department_delete(dept_id):
    dept = Department.get_or_none(Department.id == dept_id)
    if dept is None:
        return message(_("There is no such department."), 404)
    users = User.select().where(User.department == dept).count()
    children = Department.select().where(Department.parent == dept).count()
    if users or children:
        flash(
            _(
                "%(name)s still has %(users)d users and %(children)d sub-departments: "
                "move them first. Nothing was deleted.",
                name=dept.name,
                users=users,
                children=children,
            ),
            "error",
        )
        return redirect(url_for("admin.departments"))
    with db.atomic():
        audit.record("department.delete", "department", dept.id, dept.name, before=snapshot(dept))
        dept.delete_instance()
    flash(_("Department %(name)s deleted.", name=dept.name), "success")
    return redirect(url_for("admin.departments"))
