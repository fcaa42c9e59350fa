"""Upgrade steps marked `once` run until they have succeeded once (recorded in upgrade_step_done); the
others run on every `flask db upgrade`."""

from collections import Counter

import pytest

from core.db import UpgradeStepDone, db, upgrade
from core.hookspecs import hookimpl
from core.plugins import UpgradeStep


class Steps:
    """A plugin with one step of each kind; `failures` is how many times the once-step raises first."""

    def __init__(self, failures=0):
        self.calls = Counter()
        self.failures = failures

    def once(self):
        self.calls["once"] += 1
        if self.failures:
            self.failures -= 1
            raise RuntimeError("not this time")

    def every(self):
        self.calls["every"] += 1

    @hookimpl
    def upgrade_steps(self):
        return [UpgradeStep("steps.once", self.once, once=True), UpgradeStep("steps.every", self.every)]


def with_steps(app, steps):
    app.extensions["xiuhua.plugins"].register(steps, name="steps")
    return steps


def recorded(app):
    with app.app_context(), db.connection_context():
        return [row.name for row in UpgradeStepDone.select().where(UpgradeStepDone.name.startswith("steps."))]


def test_a_once_step_runs_on_the_first_upgrade_only_and_an_every_time_step_on_each(app):
    steps = with_steps(app, Steps())
    upgrade(app)
    upgrade(app)
    assert steps.calls == {"once": 1, "every": 2}
    assert recorded(app) == ["steps.once"]


def test_a_failing_once_step_is_not_recorded_and_runs_again_on_the_next_upgrade(app):
    steps = with_steps(app, Steps(failures=1))
    with pytest.raises(RuntimeError, match="not this time"):
        upgrade(app)
    assert recorded(app) == []
    upgrade(app)
    assert recorded(app) == ["steps.once"]
    upgrade(app)
    assert steps.calls == {"once": 2, "every": 2}  # the failed upgrade stopped before the every-time step


def test_the_open_cases_warning_times_are_filled_once_and_permissions_synced_every_time(app):
    steps = {
        step.name: step.once
        for _, returned in app.extensions["xiuhua.plugins"].call_each("upgrade_steps")
        for step in returned
    }
    assert steps["workorders.warn_times"] is True
    assert steps["core.permissions"] is False and steps["catalogue.plugin_categories"] is False
    with app.app_context(), db.connection_context():
        assert UpgradeStepDone.get_or_none(UpgradeStepDone.name == "workorders.warn_times") is not None
