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

from flask import g, has_app_context
from peewee import DateTimeField, ForeignKeyField

from core import clock
from core.areas import Area
from core.catalogue.models import Category
from core.db import BaseModel
from core.org import Department


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
