"""Every core table: what the core migrations create and tests/test_db_config.py compares against the
migrated schema. A core module with tables is listed here; its models are found by looking."""

import importlib
import inspect

from core.db import BaseModel

MODULES = [
    "core.db",
    "core.org",
    "core.audit",
    "core.settings",
    "core.areas",
    "core.scheduler",
    "core.catalogue.models",
    "core.catalogue.dispatch_rules",
    "core.worktime.models",
    "core.photos",
    "core.workorders.models",
    "core.notifications.models",
    "core.grids.models",
    "core.responsibility.models",
    "core.components.models",
    "core.evaluation.models",
    "core.exports.models",
    "core.numbers",
    "core.sessions",
    "core.throttle",
]


def core_models() -> list[type[BaseModel]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        found += [
            cls
            for cls in vars(module).values()
            if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls is not BaseModel and cls.__module__ == name
        ]
    return found
