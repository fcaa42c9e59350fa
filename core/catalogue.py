"""The catalogue of component and event types (部件/事件 分类) in its two editions, the filing standards
(立结案标准) attached to them, and the pages to look them up, edit them and import them.
The CSV importer and `flask catalogue` are in core/catalogue_import.py."""

import unicodedata

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from peewee import (
    JOIN,
    BooleanField,
    Case,
    CharField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)
from wtforms import BooleanField as BooleanInput
from wtforms import IntegerField as IntegerInput
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from core import audit, editing
from core.background import ImportJob, one_at_a_time
from core.db import BaseModel, JSONField, db
from core.editing import EditForm
from core.hookspecs import hookimpl
from core.import_pages import ImportKind, status_page, upload_page
from core.org import HANDLING_TYPES, Department, department_tree
from core.parsing import parse_int
from core.permissions import requires, unscoped
from core.plugins import MenuItem
from core.timelimits import UNITS, LimitError, parse_limit
from core.web import message, page

KINDS = {"component": _l("Component"), "event": _l("Event")}
EDITIONS = {"2013": "GB/T 30428.2-2013", "2026": "GB/T 47678.5-2026"}
CODE_LENGTHS = {"2013": 4, "2026": 5}  # class (2 digits) + type (2 or 3 digits)
LONG_TEXT = 2000  # the longest free text accepted for a TextField (conditions, units)


class Category(BaseModel):
    """One component or event type of one edition of the catalogue, e.g. 2013 "0101 上水井盖"."""

    kind = CharField(max_length=10, choices=list(KINDS.items()))
    edition = CharField(max_length=4, choices=list(EDITIONS.items()))
    class_code = CharField(max_length=2)
    class_name = CharField(max_length=60)
    code = CharField(max_length=5)  # a string: "0101", "01001" keep their leading zeros
    name = CharField(max_length=100)
    default_department = ForeignKeyField(Department, null=True, on_delete="SET NULL")
    active = BooleanField(default=True)
    retired = BooleanField(default=False)  # a plugin's that no plugin registers now (sync_plugin_categories)
    version = IntegerField(default=1)  # the edit form's optimistic lock (core/editing.py)

    class Meta:
        indexes = ((("edition", "kind", "code"), True),)

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    def __str__(self):
        return f"{self.code} {self.name}"


class FilingStandard(BaseModel):
    """One row of a filing standard: when a case of this category is filed, its time limit, when it is
    closed, and who handles it. Natural key: (category, filing_condition) — the situation a row is about.
    An import updates the row with the same key in place (work orders keep pointing at it) and retires
    (active=False) rows of the imported categories that the file no longer has, so re-importing the same
    file changes nothing."""

    category = ForeignKeyField(Category, backref="standards", on_delete="CASCADE")
    seq = IntegerField()  # position within the category, as in the file
    filing_condition = CharField(max_length=500)  # 立案条件
    limit_text = CharField(max_length=60)  # as published: "2紧急工作时"
    limit_value = DecimalField(max_digits=8, decimal_places=2)
    limit_unit = CharField(max_length=20)  # a key of core.timelimits.UNITS
    limit_note = CharField(max_length=60, default="")  # "种植季节", "制止"
    closing_condition = TextField(default="")  # 结案条件
    handling_unit = TextField(default="")  # 责任主体/处置单位
    supervising_unit = TextField(default="")  # 监管主体/主管部门
    source = CharField(max_length=255, default="")  # the file it was imported from
    active = BooleanField(default=True)
    version = IntegerField(default=1)  # the edit form's optimistic lock (core/editing.py)

    class Meta:
        indexes = ((("category", "filing_condition"), True),)

    @property
    def limit_label(self) -> str:
        """The parsed limit: "2 urgent hours (...)", with its note."""
        text = f"{self.limit_value.normalize():f} {UNITS.get(self.limit_unit, self.limit_unit)}"
        return f"{text}; {self.limit_note}" if self.limit_note else text

    def __str__(self):
        return f"{self.filing_condition} ({self.limit_text})"


IMPORT_STATUSES = {
    "running": (_l("Checking the rows"), "grey"),
    "writing": (_l("Comparing with the database"), "grey"),
    "done": (_l("Imported"), "green"),
    "checked": (_l("Dry run finished: nothing was written"), "green"),
    "rejected": (_l("Rows were rejected: nothing was written"), "red"),
    "failed": (_l("Failed: nothing was written"), "red"),
    "interrupted": (_l("Interrupted: the server stopped during the import"), "red"),
}


@one_at_a_time
class CatalogueImport(ImportJob):
    """One import started from the admin page, run in a background thread: its progress and outcome."""

    STATUSES = IMPORT_STATUSES
    skip_rejected = BooleanField(default=False)
    counts = JSONField(null=True)  # {"component": {"created": n, ...}, "event": ..., "standard": ...}
    rejected = JSONField(null=True)  # [[line, reason], ...]


# --- what other modules call -------------------------------------------------------------------------


def standards_for(category) -> list[FilingStandard]:
    """The filing standards in use for a category (a Category or its id), in their order."""
    return list(
        FilingStandard.select()
        .where((FilingStandard.category == category) & (FilingStandard.active == True))  # noqa: E712
        .order_by(FilingStandard.seq, FilingStandard.id)
    )


def search(query, edition=None, limit=20, *, kind=None) -> list[Category]:
    """Active categories whose code starts with `query` or whose name contains it; code matches first.
    An empty query lists the first `limit` categories."""
    text = unicodedata.normalize("NFKC", query or "").strip()
    found = Category.select().where(Category.active == True)  # noqa: E712
    if edition:
        found = found.where(Category.edition == edition)
    if kind:
        found = found.where(Category.kind == kind)
    order = [Category.edition, Category.kind, Category.code]
    if text:
        by_code = Category.code.startswith(text)
        found = found.where(by_code | Category.name.contains(text))
        order.insert(0, Case(None, [(by_code, 0)], 1))
    return list(found.order_by(*order).limit(limit))


# --- hooks -------------------------------------------------------------------------------------------

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_permissions():
    return [
        {
            "name": "catalogue.view",
            "label": _l("See the categories and filing standards"),
            "roles": ["admin", "intake", "shift_leader", "dispatcher", "evaluator", "leader"],
        },
        {
            "name": "catalogue.manage",
            "label": _l("Edit and import categories and filing standards"),
            "roles": ["admin"],
        },
    ]


@hookimpl
def register_commands(cli):
    from core.catalogue_import import catalogue_cli

    cli.add_command(catalogue_cli)


@hookimpl
def menu_items(user):
    if user.can("catalogue.view"):
        return [MenuItem(_l("Categories and standards"), "catalogue.categories", order=880, group="admin")]
    return []


# --- pages -------------------------------------------------------------------------------------------

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
    from core.dispatch_rules import rule_areas, rules_for  # it builds on this module's Category

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
    importer="core.catalogue_import",
    reader="read_table",
    options=lambda form: {"skip_rejected": form.skip_rejected.data, "dry_run": form.dry_run.data},
    context={"kinds": KINDS},
)


@bp.route("/import", methods=["GET", "POST"])
@requires("catalogue.manage")
def import_page():
    return upload_page(IMPORTS)


@bp.route("/import/<int:import_id>")
@requires("catalogue.manage")
@unscoped
def import_status(import_id):
    return status_page(IMPORTS, import_id)


def sync_plugin_categories(host):
    """Create or update the categories plugins declare through register_categories, in every
    edition, with their filing standards. Names and standards follow the plugin; the plugin's default
    department is used only where a category has none, so an administrator's choice stands. Standards the plugin no
    longer lists are retired, as a catalogue re-import retires them; so are categories no plugin registers
    now (_retire_unregistered). Run by `flask db upgrade`."""
    from core.timelimits import parse_limit

    departments = {d.code: d for d in Department.select()}
    for plugin, spec in host.items("register_categories"):
        for edition in EDITIONS:
            category, created = Category.get_or_create(
                edition=edition,
                kind=spec["kind"],
                code=spec["code"],
                defaults={
                    "class_code": spec["class_code"],
                    "class_name": str(spec["class_name"]),
                    "name": str(spec["name"]),
                    "default_department": departments.get(spec.get("department")),
                },
            )
            if not created:
                category.class_code, category.class_name = spec["class_code"], str(spec["class_name"])
                category.name = str(spec["name"])
                if category.default_department_id is None:
                    category.default_department = departments.get(spec.get("department"))
                category.save()
            kept = []
            for seq, row in enumerate(spec.get("standards", []), start=1):
                limit = parse_limit(row["limit"])
                values = {
                    "seq": seq,
                    "limit_text": row["limit"],
                    "limit_value": limit.value,
                    "limit_unit": limit.unit,
                    "limit_note": limit.note,
                    "closing_condition": str(row.get("closing_condition", "")),
                    "handling_unit": str(row.get("handling_unit", "")),
                    "source": f"plugin {plugin}",
                    "active": True,
                }
                standard, made = FilingStandard.get_or_create(
                    category=category, filing_condition=str(row["filing_condition"]), defaults=values
                )
                if not made:
                    FilingStandard.update(values).where(FilingStandard.id == standard.id).execute()
                kept.append(standard.id)
            FilingStandard.update(active=False).where(
                (FilingStandard.category == category) & FilingStandard.id.not_in(kept or [0])
            ).execute()
    _retire_unregistered(host)


def _retire_unregistered(host):
    """A plugin's category that no plugin registers now is retired: out of use, so no picker offers it,
    and kept for the cases filed under it. One registered again is back in use. (A category is a
    plugin's when a plugin wrote its filing standards.) An administrator's "in use" is not touched
    otherwise."""
    registered = {(spec["kind"], spec["code"]) for _, spec in host.items("register_categories")}
    plugins_own = FilingStandard.select(FilingStandard.category).where(FilingStandard.source.startswith("plugin "))
    for category in Category.select().where(Category.id.in_(plugins_own)):
        gone = (category.kind, category.code) not in registered
        if gone != category.retired:
            Category.update(retired=gone, active=not gone, version=Category.version + 1).where(
                Category.id == category.id
            ).execute()
