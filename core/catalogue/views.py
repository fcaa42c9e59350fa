"""The catalogue's pages: the category list, a category with its filing standards, editing both, and the
import page (the `catalogue` blueprint)."""

import unicodedata

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from peewee import (
    JOIN,
    fn,
)
from wtforms import BooleanField as BooleanInput
from wtforms import IntegerField as IntegerInput
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from core import audit, editing
from core.catalogue.dispatch_rules import rule_areas, rules_for
from core.catalogue.models import (
    EDITIONS,
    KINDS,
    LONG_TEXT,
    CatalogueImport,
    Category,
    FilingStandard,
)
from core.db import db
from core.editing import EditForm
from core.importing.pages import ImportKind, status_page, upload_page
from core.org import HANDLING_TYPES, Department, department_tree
from core.parsing import parse_int
from core.permissions import requires, unscoped
from core.timelimits import LimitError, parse_limit
from core.web import message, page

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

PAGE_SIZE = 50


def _filtered_categories():
    query = (
        Category.select(Category, Department)
        .join(Department, JOIN.LEFT_OUTER, on=(Category.default_department == Department.id))
        .order_by(Category.edition, Category.kind, Category.code)
    )
    q = unicodedata.normalize("NFKC", request.args.get("q", "")).strip()
    if q:
        query = query.where(Category.code.startswith(q) | Category.name.contains(q) | Category.class_name.contains(q))
    if request.args.get("edition") in EDITIONS:
        query = query.where(Category.edition == request.args["edition"])
    if request.args.get("kind") in KINDS:
        query = query.where(Category.kind == request.args["kind"])
    if request.args.get("active") in ("1", "0"):
        query = query.where(Category.active == (request.args["active"] == "1"))
    return query


@bp.route("/")
@requires("catalogue.view")
def categories():
    query = _filtered_categories()
    total = query.count()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page_no = min(max(request.args.get("page", 1, type=parse_int), 1), pages)
    rows = list(query.paginate(page_no, PAGE_SIZE))
    counts = dict(
        FilingStandard.select(FilingStandard.category, fn.COUNT(FilingStandard.id))
        .where(FilingStandard.category.in_([c.id for c in rows]) & (FilingStandard.active == True))  # noqa: E712
        .group_by(FilingStandard.category)
        .tuples()
    )
    return page(
        "catalogue/categories.html",
        "catalogue/_category_rows.html",
        "category-rows",
        categories=rows,
        counts=counts,
        total=total,
        page_no=page_no,
        pages=pages,
        kinds=KINDS,
        editions=EDITIONS,
    )


class CategoryForm(EditForm):
    default_department = SelectField(_l("Default department"), coerce=int)
    active = BooleanInput(_l("In use"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        depts = [SelectChoice(d.id, "　" * depth + d.name) for depth, d in department_tree()]
        self.default_department.choices = [SelectChoice(0, "—"), *depts]


def category_snapshot(category: Category) -> dict:
    dept = category.default_department if category.default_department_id else None
    return {"default_department": f"{dept.name} ({dept.code})" if dept else None, "active": category.active}


def _category_page(category: Category, form: CategoryForm | None, status=200):
    standards = list(
        FilingStandard.select()
        .where(FilingStandard.category == category)
        .order_by(FilingStandard.active.desc(), FilingStandard.seq, FilingStandard.id)
    )
    manage = current_user.can("catalogue.manage")
    return page(
        "catalogue/category.html",
        category=category,
        standards=standards,
        form=form,
        editions=EDITIONS,
        status=status,
        rules=rules_for(category),
        rule_areas=rule_areas() if manage else [],
        rule_departments=[(depth, d) for depth, d in department_tree() if d.type in HANDLING_TYPES] if manage else [],
    )


@bp.route("/<int:category_id>")
@requires("catalogue.view")
@unscoped
def category(category_id):
    found = Category.get_or_none(Category.id == category_id)
    if found is None:
        return message(_("There is no such category."), 404)
    form = None
    if current_user.can("catalogue.manage"):
        form = CategoryForm(formdata=None, obj=found)
        form.default_department.data = found.default_department_id or 0
        form.show(found.version)
    return _category_page(found, form)


@bp.route("/<int:category_id>/edit", methods=["POST"])
@requires("catalogue.manage")
@unscoped
def category_edit(category_id):
    found = Category.get_or_none(Category.id == category_id)
    if found is None:
        return message(_("There is no such category."), 404)
    form = CategoryForm()
    if not form.validate_on_submit():
        return _category_page(found, form, status=422)
    before = category_snapshot(found)
    try:
        with db.atomic():
            form.save(found, {"default_department": form.default_department.data or None, "active": form.active.data})
            after = category_snapshot(Category.get_by_id(found.id))
            audit.record("catalogue.category.update", "category", found.id, str(found), before=before, after=after)
    except editing.Stale:
        form.refuse("category", found.id, Category.get_by_id(found.id).version)
        return _category_page(Category.get_by_id(found.id), form, status=409)
    flash(_("Category %(name)s saved.", name=str(found)), "success")
    return redirect(url_for("catalogue.category", category_id=found.id))


class StandardForm(EditForm):
    seq = IntegerInput(_l("Order"), validators=[InputRequired(), NumberRange(min=1, max=9999)])
    filing_condition = TextAreaField(_l("Filing condition"), validators=[DataRequired(), Length(max=500)])
    limit_text = StringField(
        _l("Time limit"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("As published, e.g. 2紧急工作时, 4工作时, 3工作日, 1天."),
    )
    closing_condition = TextAreaField(_l("Closing condition"), validators=[Length(max=LONG_TEXT)])
    handling_unit = TextAreaField(_l("Handling unit"), validators=[Length(max=LONG_TEXT)])
    supervising_unit = TextAreaField(_l("Supervising unit"), validators=[Length(max=LONG_TEXT)])
    active = BooleanInput(_l("In use"))

    def __init__(self, *args, standard: FilingStandard, **kwargs):
        super().__init__(*args, **kwargs)
        self.standard = standard
        self.limit = None

    def validate_limit_text(self, field):
        try:
            self.limit = parse_limit(field.data)
        except LimitError as error:
            raise ValidationError(str(error)) from None

    def validate_filing_condition(self, field):
        clash = FilingStandard.select().where(
            (FilingStandard.category == self.standard.category_id)
            & (FilingStandard.filing_condition == field.data.strip())
            & (FilingStandard.id != self.standard.id)
        )
        if clash.exists():
            raise ValidationError(_l("This category already has a filing standard with this condition."))


STANDARD_FIELDS = ["seq", "filing_condition", "limit_text", "closing_condition", "handling_unit", "supervising_unit"]


def standard_snapshot(standard: FilingStandard) -> dict:
    snap = {name: getattr(standard, name) for name in STANDARD_FIELDS}
    snap["limit"] = f"{standard.limit_value.normalize():f} {standard.limit_unit} {standard.limit_note}".strip()
    snap["active"] = standard.active
    return snap


@bp.route("/standards/<int:standard_id>", methods=["GET", "POST"])
@requires("catalogue.manage")
@unscoped
def standard_edit(standard_id):
    standard = FilingStandard.get_or_none(FilingStandard.id == standard_id)
    if standard is None:
        return message(_("There is no such filing standard."), 404)
    form = StandardForm(obj=standard, standard=standard)
    if request.method == "GET":
        form.show(standard.version)
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        before = standard_snapshot(standard)
        fields = {name: getattr(form, name).data for name in STANDARD_FIELDS}
        fields = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
        fields.update(
            limit_value=form.limit.value,
            limit_unit=form.limit.unit,
            limit_note=form.limit.note,
            active=form.active.data,
        )
        try:
            with db.atomic():
                form.save(standard, fields)
                after = standard_snapshot(FilingStandard.get_by_id(standard.id))
                summary = f"{standard.category}: {standard.filing_condition}"[:200]
                audit.record("catalogue.standard.update", "filing_standard", standard.id, summary, before, after)
        except editing.Stale:
            form.refuse("filing_standard", standard.id, FilingStandard.get_by_id(standard.id).version)
            status = 409
        else:
            flash(_("Filing standard saved."), "success")
            return redirect(url_for("catalogue.category", category_id=standard.category_id))
    return page("catalogue/standard_form.html", form=form, standard=standard, status=status)


# --- import pages ------------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    skip_rejected = BooleanInput(_l("Skip rejected rows and import the others"))
    dry_run = BooleanInput(_l("Dry run: check the file and show what would change, write nothing"))


IMPORTS = ImportKind(
    name="catalogue",
    model=CatalogueImport,
    form=ImportForm,
    importer="core.catalogue.importer",
    reader="read_table",
    options=lambda form: {"skip_rejected": form.skip_rejected.data, "dry_run": form.dry_run.data},
    context={"kinds": KINDS},
)


@bp.route("/import", methods=["GET", "POST"])
@requires("catalogue.manage")
def import_page():
    return upload_page(IMPORTS.name)


@bp.route("/import/<int:import_id>")
@requires("catalogue.manage")
@unscoped
def import_status(import_id):
    return status_page(IMPORTS.name, import_id)
