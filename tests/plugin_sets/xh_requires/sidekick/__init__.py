"""Disabled by the test (PLUGINS_DISABLED), so that needs_disabled lacks it."""
