"""The command-centre dashboard (issue 5): the core's figure widgets on the home page, contributed
through `dashboard_widgets` like any plugin's. Each widget polls its own fragment URL with htmx."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.plugins import Widget

# name → (title, template, order, width); the context comes from core.dashboard.widgets.CONTEXTS.
WIDGETS = {
    "today": (_l("Today"), "dashboard/_today.html", 10, "half"),
    "rates": (_l("Timeliness"), "dashboard/_rates.html", 11, "half"),
    "overdue": (_l("Overdue now"), "dashboard/_overdue.html", 12, "half"),
    "feed": (_l("Newest cases"), "dashboard/_feed.html", 13, "half"),
    "trend": (_l("Last 30 days"), "dashboard/_trend.html", 20, "full"),
    "map": (_l("Open cases by grid"), "dashboard/_gridmap.html", 21, "half"),
    "top": (_l("Top categories and hotspots, last 30 days"), "dashboard/_top.html", 22, "half"),
}


def widget(name: str, user, now=None, later: bool = False) -> Widget | None:
    """The widget `name` for `user` as of `now` (default: the clock's now), or None when the user may not
    see it. The widgets of one page share one `now`: their figures are of one moment, and those computed
    for one widget serve the next (core.dashboard.figures.daily_rates). later: the slow widgets come as
    placeholders that fetch themselves (core.dashboard.widgets.AFTER_THE_PAGE), as on the home page."""
    from core.dashboard.widgets import context_for

    context = context_for(name, user, now, later)
    if context is None:
        return None
    title, template, order, width = WIDGETS[name]
    return Widget(title, template, context, order=order, width=width)


@hookimpl
def register_blueprints():
    from core.dashboard.views import bp

    return [bp]


@hookimpl
def dashboard_widgets(user):
    from core import clock

    now = clock.now()
    return [w for w in (widget(name, user, now, later=True) for name in WIDGETS) if w is not None]
