"""Figures plugins add to the evaluation (the register_indicators hook): each a whole-city number for a
period, computed by the plugin. The dashboard's "Campaign figures" widget shows this month's so far. A
plugin's figure that raises is logged and shown as no data: it never takes the dashboard down."""

import logging

from core import clock, plugins
from core.evaluation import periods

log = logging.getLogger(__name__)


def registered() -> list:
    """The enabled plugins' indicators, by order then code."""
    return sorted((i for _, i in plugins.host().items("register_indicators")), key=lambda i: (i.order, i.code))


def value_of(indicator, start, end):
    try:
        return indicator.value(start, end)
    except Exception:
        log.exception("indicator %s failed", indicator.code)
        return None


def this_month(user) -> dict | None:
    """The widget's context: this month's figures so far that `user` may see, or None when there are none."""
    shown = [i for i in registered() if user.can(i.permission)]
    if not shown:
        return None
    now = clock.now()
    period = periods.containing("month", now)
    return {"period": period, "rows": [(i, value_of(i, period.start, now)) for i in shown]}
