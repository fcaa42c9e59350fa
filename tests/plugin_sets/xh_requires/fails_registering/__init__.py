"""Imports, then fails in a registration hook."""

from core.hookspecs import hookimpl


@hookimpl
def register_permissions():
    raise RuntimeError("fails_registering exploded")
