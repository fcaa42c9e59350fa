"""Requires a core feature (a built-in) and a plugin that loads: it loads."""

__requires__ = ["workorders", "sidekick_free"]
