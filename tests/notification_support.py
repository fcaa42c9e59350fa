"""What the notification tests share: a city at a frozen Monday, and a record of the notify hook's calls."""

from datetime import datetime

from core.plugins import PluginHost

MONDAY = datetime(2026, 11, 30, 8, 0)


def record_notify(monkeypatch, shape=lambda kwargs: kwargs) -> list:
    """A list that receives shape(arguments) of every notify hook call from now on."""
    calls = []
    original = PluginHost.fire

    def fire(self, hook_name, **kwargs):
        if hook_name == "notify":
            calls.append(shape(kwargs))
        return original(self, hook_name, **kwargs)

    monkeypatch.setattr(PluginHost, "fire", fire)
    return calls
