"""The demo city's dispatch rules; the work orders' demo makes them once it has loaded the catalogue."""

from core.catalogue.dispatch_rules import DispatchRule
from core.catalogue.models import Category


def street_offices(ctx):
    """Street vending (占道经营, 无照经营游商) in each demo street goes to the street's own office, as the
    Yuncheng filing standard's handling unit (所属街办) says."""
    categories = list(Category.select().where(Category.name.in_(["占道经营", "无照经营游商"])))
    for area in ctx.areas.values():
        office = ctx.departments.get(f"street-{area.code}")
        if area.level != "street" or office is None:
            continue
        for category in categories:
            DispatchRule.get_or_create(category=category, area=area, defaults={"department": office})
