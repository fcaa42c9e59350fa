"""What each dashboard widget's template needs, for one user: the figures of core.dashboard.figures
over the user's scope (the same row scoping as the case lists), and the timeliness figures over the
evaluation objects matching the user (figures.evaluation_scope)."""

from datetime import timedelta

from flask import current_app, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from core import clock
from core.dashboard import figures
from core.workorders import states
from core.workorders.models import WorkOrder
from core.workorders.scope import grid_ids, scope_condition

VIEW_PERMISSIONS = ("workorder.view_all", "workorder.view_department", "workorder.view_grid")
TREND_DAYS = 30
COLOURS = {"reported": "#1f6feb", "closed": "#2e7d32", "rate": "#c62828", "bar": "#b4232a"}


def can_view_cases(user) -> bool:
    return any(user.can(p) for p in VIEW_PERMISSIONS)


def scope_label(user) -> str:
    if user.can("workorder.view_all"):
        return _("The whole city")
    if user.can("workorder.view_department") and user.department_id:
        return _("Cases of %(department)s", department=user.department.name)
    if user.can("workorder.view_grid") and grid_ids(user):
        return _("Cases in your grids")
    return _("Cases you reported")


def _base(name, user, now) -> dict:
    return {
        "name": name,
        "url": url_for("dashboard.fragment", name=name),
        "refresh": int(current_app.config["DASHBOARD_REFRESH_SECONDS"]),
        "scope_label": scope_label(user),
        "updated": now,
    }


def _today(user, scope, now):
    start, end = figures.today_period(now)
    return {"counts": figures.counts(start, end, scope)}


def evaluation_label(user, target: figures.EvaluationScope) -> str:
    """Whose timeliness the rates show, as named on the evaluation page."""
    if target.level == "city":
        return _("The whole city")
    if target.level == "department":
        return _("Department %(department)s (evaluation level: departments)", department=user.department.name)
    return ngettext(
        "Your unit grid (evaluation level: unit grids)",
        "Your %(num)d unit grids together (evaluation level: unit grids)",
        len(target.keys),
    )


def _rates(user, scope, now):
    target = figures.evaluation_scope(user)
    if target is None:
        return None  # only the cases one reported: no evaluation level measures that
    # today's cohorts are the last day of the 30 days' (figures.rates_of_days), computed once with the trend's
    days = figures.daily_rates(*figures.last_days_period(TREND_DAYS, now), target, now=now)
    today = figures.rates_of_days(days, first=now.date())
    month = figures.rates_of_days(days)
    return {
        "periods": [(_("Today"), today), (_("Last %(n)d days", n=TREND_DAYS), month)],
        "evaluation_label": evaluation_label(user, target),
        # a stage waiting for a dispatch is nobody's yet: the evaluation gives departments no dispatch figure
        "show_dispatch": target.level != "department",
    }


def _overdue(user, scope, now):
    query = figures.overdue_now(scope, now)
    oldest = query.order_by(WorkOrder.due_at).limit(5)
    return {"count": query.count(), "oldest": list(oldest), "now": now}


def _feed(user, scope, now):
    return {"orders": figures.newest(scope, 10), "statuses": states.STATUSES}


def _trend(user, scope, now):
    start, end = figures.last_days_period(TREND_DAYS, now)
    days = [(start + timedelta(days=i)).date() for i in range(TREND_DAYS)]
    daily = figures.daily_counts(start, end, scope)
    target = figures.evaluation_scope(user)
    handling = (
        figures.handling_of_days(figures.daily_rates(start, end, target, now, figures.TREND_CODES)) if target else {}
    )
    rates = []
    for day in days:
        rate = handling.get(day, {}).get("on_time_handling_rate")
        rates.append(None if rate is None else round(rate * 100, 1))
    chart = {
        "type": "bar",
        "labels": [format_date(day, "MM-dd") for day in days],
        "datasets": [
            {"label": _("Reported"), "data": [daily["reported"].get(d, 0) for d in days], "color": COLOURS["reported"]},
            {"label": _("Closed"), "data": [daily["closed"].get(d, 0) for d in days], "color": COLOURS["closed"]},
        ],
        "percent_axis": _("On-time handling rate (%)"),
        "count_axis": _("Cases"),
    }
    if target is not None:
        chart["datasets"].append(
            {
                "label": _("On-time handling rate (%)"),
                "data": rates,
                "color": COLOURS["rate"],
                "type": "line",
                "axis": "percent",
            }
        )
    totals = {
        "reported": sum(daily["reported"].values()),
        "closed": sum(daily["closed"].values()),
    }
    return {
        "chart": chart,
        "totals": totals,
        "first": days[0],
        "last": days[-1],
        "evaluation_label": evaluation_label(user, target) if target else None,
    }


def _map(user, scope, now):
    if not user.can("grids.view"):
        return None
    from core.map_layers import grid_map_layers

    by_grid = figures.open_by_grid(scope)
    return {
        "layers": grid_map_layers(user, "open"),
        "open_total": sum(by_grid.values()),
        "grids_with_open": len(by_grid),
    }


def _top(user, scope, now):
    start, end = figures.last_days_period(TREND_DAYS, now)
    categories = figures.top_categories(start, end, scope)
    chart = {
        "type": "bar",
        "horizontal": True,
        "labels": [name for _code, name, _n in categories],
        "datasets": [{"label": _("Cases"), "data": [n for *_rest, n in categories], "color": COLOURS["bar"]}],
    }
    return {"categories": categories, "hotspots": figures.hotspots(start, end, scope), "chart": chart}


# The widgets whose figures are the evaluation's queries, most of a home page's time: the home page shows
# them loading and fetches their fragment right after itself, so the page and its other widgets come at
# once. Each says, without computing anything, whether the user sees it (as its context function would).
AFTER_THE_PAGE = {
    "rates": lambda user: figures.evaluation_scope(user) is not None,
    "trend": lambda user: True,
}

CONTEXTS = {
    "today": _today,
    "rates": _rates,
    "overdue": _overdue,
    "feed": _feed,
    "trend": _trend,
    "map": _map,
    "top": _top,
}


def context_for(name: str, user, now=None, later: bool = False) -> dict | None:
    """The template context of widget `name` for `user` as of `now` (default: the clock's now), or None
    when the user may not see it. later: a widget of AFTER_THE_PAGE gets only what its placeholder needs
    (context["later"]), its figures left to its fragment."""
    if name not in CONTEXTS or not user.can("dashboard.view") or not can_view_cases(user):
        return None
    now = now or clock.now()
    if later and name in AFTER_THE_PAGE:
        return {**_base(name, user, now), "later": True} if AFTER_THE_PAGE[name](user) else None
    own = CONTEXTS[name](user, scope_condition(user), now)
    return None if own is None else {**_base(name, user, now), **own}
