"""Wraps workorder_created as a new-style pluggy wrapper: the host refuses it at load."""

from core.hookspecs import hookimpl


@hookimpl(wrapper=True)
def workorder_created(workorder):
    return (yield)
