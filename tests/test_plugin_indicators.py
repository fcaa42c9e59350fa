"""Figures plugins add through register_indicators: the dashboard's "Campaign figures" widget shows this
month's so far to the holders of each figure's permission; a figure that raises shows no data."""

from datetime import datetime

from core import clock
from core.evaluation import plugin_figures
from core.plugins import Indicator
from core.testing import client_for


def boom(start, end):
    raise RuntimeError("the plugin's query failed")


def test_the_widget_shows_this_months_figures_to_who_may_see_them(english_app, users, monkeypatch):
    seen = []

    def counted(start, end):
        seen.append((start, end))
        return 0.25

    figures = [
        Indicator("flyers.rate", "Cleared rate", counted, "spots cleared of spots found", rate=True),
        Indicator("flyers.broken", "Broken figure", boom),
        Indicator("flyers.secret", "Secret figure", lambda start, end: 3, permission="no.such.permission"),
    ]
    monkeypatch.setattr(plugin_figures, "registered", lambda: figures)
    with clock.frozen(datetime(2026, 11, 20, 9, 30)):
        home = client_for(english_app, "evaluator").get("/").get_data(as_text=True)
    assert "Campaign figures" in home and "2026-11 so far" in home
    assert "Cleared rate" in home and "25.00%" in home and "spots cleared of spots found" in home
    assert seen == [(datetime(2026, 11, 1), datetime(2026, 11, 20, 9, 30))]
    broken = home[home.index('data-indicator="flyers.broken"') :]
    assert broken.split("</tr>")[0].count("—") == 1  # logged, shown as no data; the page still renders
    assert "Secret figure" not in home
    assert "Campaign figures" not in client_for(english_app, "dispatcher").get("/").get_data(as_text=True)
