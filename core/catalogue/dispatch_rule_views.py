"""Adding and removing a category's dispatch rules, on the category's page (core/catalogue/views.py)."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from peewee import IntegrityError

from core import audit
from core.areas import Area
from core.catalogue.dispatch_rules import DispatchRule
from core.catalogue.models import Category
from core.db import db
from core.org import HANDLING_TYPES, Department
from core.parsing import parse_id
from core.permissions import requires, unscoped

bp = Blueprint("dispatch_rules", __name__, url_prefix="/catalogue")


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
