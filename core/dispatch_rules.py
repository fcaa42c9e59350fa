"""Which department a new case is suggested for: category × area.

A category names its default department (core.catalogue). A dispatch rule overrides it within one area (a
district, street, community or unit grid, and everything under it): "within 城南街道, 占道经营 goes to the
street's 城管办". The suggestion for a case is, first match wins:

1. the maintainer of the census component the case is about, when the census links one;
2. the rule of the case's category for the nearest area above (or at) its grid;
3. the category's default department.

A case is not at any department until it is dispatched: the suggestion is kept in
`WorkOrder.suggested_department` (set when the case is reported and again when it is filed, as filing may
change the category), the dispatch form starts from it and the dispatcher's inbox can dispatch ticked
cases to their suggestions in one go. Rules are edited on the category's page; every change is audited."""

from contextlib import contextmanager

from flask import Blueprint, abort, flash, g, has_app_context, redirect, request, url_for
from flask_babel import gettext as _
from peewee import DateTimeField, ForeignKeyField, IntegrityError

from core import audit, clock
from core.areas import Area
from core.catalogue.models import Category
from core.db import BaseModel, db
from core.hookspecs import hookimpl
from core.org import HANDLING_TYPES, Department
from core.parsing import parse_id
from core.permissions import requires, unscoped

bp = Blueprint("dispatch_rules", __name__, url_prefix="/catalogue")


class DispatchRule(BaseModel):
    """Within `area` and everything under it, cases of `category` are suggested for `department`."""

    category = ForeignKeyField(Category, backref="dispatch_rules", on_delete="CASCADE")
    area = ForeignKeyField(Area, on_delete="CASCADE")
    department = ForeignKeyField(Department, on_delete="CASCADE")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("category", "area"), True),)


@contextmanager
def batch():
    """Within this block, rules, default departments and area chains are read once each: for batch work
    during which nothing changes them (the demo history suggests a department for thousands of cases)."""
    g.dispatch_rules_batch = {}
    try:
        yield
    finally:
        g.pop("dispatch_rules_batch", None)


def _kept(kind: str, key, compute):
    kept = g.get("dispatch_rules_batch") if has_app_context() else None
    if kept is None:
        return compute()
    if (kind, key) not in kept:
        kept[kind, key] = compute()
    return kept[kind, key]


def area_chain(grid_id) -> list[int]:
    """The ids of a grid and of every area above it, nearest first."""
    chain, current = [], grid_id
    while current is not None and current not in chain:
        chain.append(current)
        current = Area.select(Area.parent).where(Area.id == current).scalar()
    return chain


def _rules(category_id) -> tuple[dict[int, int], int | None]:
    """The category's rules (area id → department id) and its default department."""
    rules = dict(
        DispatchRule.select(DispatchRule.area, DispatchRule.department)
        .where(DispatchRule.category == category_id)
        .tuples()
    )
    return rules, Category.select(Category.default_department).where(Category.id == category_id).scalar()


def suggest(category_id, grid_id, component=None) -> int | None:
    """The department a case of this category in this grid (about this component) is suggested for."""
    if component is not None and component.maintainer_id:
        return component.maintainer_id
    if not category_id:
        return None
    rules, default = _kept("rules", category_id, lambda: _rules(category_id))
    if rules and grid_id:
        for area_id in _kept("chain", grid_id, lambda: area_chain(grid_id)):
            if area_id in rules:
                return rules[area_id]
    return default


def rules_for(category) -> list[DispatchRule]:
    return list(
        DispatchRule.select(DispatchRule, Area, Department)
        .join(Area)
        .switch(DispatchRule)
        .join(Department)
        .where(DispatchRule.category == category)
        .order_by(Area.code)
    )


def rule_areas() -> list[Area]:
    """The areas a rule is usually written for (districts, streets, communities), for the form's list;
    a unit grid's code may be typed too."""
    return list(Area.select().where(Area.level != "grid").order_by(Area.code))


def _describe(rule: DispatchRule) -> str:
    return f"{rule.category.code} {rule.category.name} @ {rule.area.code} {rule.area.name} → {rule.department.name}"


def _back(category_id):
    return redirect(url_for("catalogue.category", category_id=category_id) + "#dispatch-rules")


@bp.route("/<int:category_id>/dispatch-rules", methods=["POST"])
@requires("catalogue.manage")
@unscoped
def add(category_id):
    category = Category.get_or_none(Category.id == category_id)
    if category is None:
        abort(404)
    code = request.form.get("area", "").strip().split(" ")[0]
    area = Area.get_or_none(Area.code == code) if code else None
    department_id = request.form.get("department", type=parse_id)
    department = Department.get_or_none(Department.id == department_id) if department_id else None
    if area is None:
        flash(_("There is no area with the code %(code)s.", code=code or "—"), "error")
        return _back(category_id)
    if department is None:
        flash(_("Choose the department."), "error")
        return _back(category_id)
    if department.type not in HANDLING_TYPES:
        flash(
            _(
                "%(department)s is a %(type)s, which does not handle cases: dispatch to a professional "
                "department, a district or a street office.",
                department=department.name,
                type=department.type_label,
            ),
            "error",
        )
        return _back(category_id)
    try:
        with db.atomic():
            existing = DispatchRule.get_or_none((DispatchRule.category == category) & (DispatchRule.area == area))
            if existing is not None and existing.department_id == department.id:
                flash(_("This rule exists already."), "info")
                return _back(category_id)
            before = _describe(existing) if existing else None
            if existing is None:
                rule = DispatchRule.create(category=category, area=area, department=department)
            else:
                existing.department = department
                existing.save()
                rule = existing
            audit.record(
                "catalogue.dispatch_rule.set",
                "category",
                category.id,
                _describe(rule),
                before=before,
                after=_describe(rule),
            )
    except IntegrityError:  # the same rule written by someone else at the same instant
        flash(_("Someone else changed this rule at the same moment. Check it below."), "warning")
        return _back(category_id)
    flash(
        _(
            "Cases of %(category)s in %(area)s are now suggested for %(department)s.",
            category=category.name,
            area=area.name,
            department=department.name,
        ),
        "success",
    )
    return _back(category_id)


@bp.route("/<int:category_id>/dispatch-rules/<int:rule_id>/delete", methods=["POST"])
@requires("catalogue.manage")
@unscoped
def remove(category_id, rule_id):
    rule = (
        DispatchRule.select(DispatchRule, Area, Department, Category)
        .join(Area)
        .switch(DispatchRule)
        .join(Department)
        .switch(DispatchRule)
        .join(Category)
        .where((DispatchRule.id == rule_id) & (DispatchRule.category == category_id))
        .first()
    )
    if rule is None:  # removed already (a double click, or another administrator)
        flash(_("That rule no longer exists."), "info")
        return _back(category_id)
    with db.atomic():
        DispatchRule.delete().where(DispatchRule.id == rule.id).execute()
        audit.record("catalogue.dispatch_rule.remove", "category", category_id, _describe(rule), before=_describe(rule))
    flash(_("Rule removed: %(rule)s.", rule=f"{rule.area.name} → {rule.department.name}"), "success")
    return _back(category_id)


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def demo_data(ctx):
    """Street vending (占道经营, 无照经营游商) in each demo street goes to the street's own office, as the
    Yuncheng filing standard's handling unit (所属街办) says."""
    from core.workorders.demo import prepare_reference_data

    prepare_reference_data()  # the catalogue, which the work-order demo would load after this
    categories = list(Category.select().where(Category.name.in_(["占道经营", "无照经营游商"])))
    for area in ctx.areas.values():
        office = ctx.departments.get(f"street-{area.code}")
        if area.level != "street" or office is None:
            continue
        for category in categories:
            DispatchRule.get_or_create(category=category, area=area, defaults={"department": office})
