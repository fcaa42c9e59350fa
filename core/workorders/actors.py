"""System actors: who acts on a case when no person does (a scheduled job, a campaign). Each has a name,
recorded on the case's events and in the audit log, and a declared set of permissions: the workflow
checks it exactly as it checks a person's, so a system actor can do only what it declares (and never
what is reserved to the responsible department's own people)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

_DECLARED: dict[str, "SystemActor"] = {}


@dataclass(frozen=True)
class SystemActor:
    name: str  # stored as the events' actor_name
    label: object  # what the case timeline shows
    permissions: frozenset
    id = None  # no user row: the event's actor column stays empty
    department_id = None  # never of the responsible department
    is_authenticated = True

    @property
    def username(self) -> str:
        return self.name

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def system_actor(name: str, label, permissions) -> SystemActor:
    """Declare a system actor (once per name; declaring it again with the same permissions returns it)."""
    actor = SystemActor(name, label, frozenset(permissions))
    known = _DECLARED.get(name)
    if known is not None and known.permissions != actor.permissions:
        raise ValueError(f"system actor {name!r} is declared twice with different permissions")
    _DECLARED[name] = actor
    return actor


def labels() -> dict[str, object]:
    """actor_name → what the timeline shows, for every declared system actor."""
    return {name: actor.label for name, actor in _DECLARED.items()}


# The core's own: the job that resumes suspended cases when their end date comes.
SYSTEM = system_actor("system", _l("system"), {"workorder.view_all", "workorder.approve"})
