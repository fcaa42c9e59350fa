"""The audit trail: who changed what, from what to what, when. Append-only. Entries keep codes (the
action, the object's kind and id) and data; the log tells them as sentences in the reader's language
through the AuditAction every module registers (hook `register_audit_actions`)."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import has_request_context, request
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup, escape
from peewee import CharField, CompositeKey, DateTimeField, ForeignKeyField, TextField

from core import clock
from core.db import BaseModel, JSONField
from core.org import User


class AuditEntry(BaseModel):
    at = DateTimeField(default=clock.now, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_name = CharField(max_length=60, default="")
    action = CharField(max_length=60, index=True)
    object_type = CharField(max_length=40)
    object_id = CharField(max_length=40, default="")
    summary = TextField(default="")
    before = JSONField(null=True)
    after = JSONField(null=True)
    ip = CharField(max_length=64, default="")


class AuditText(BaseModel):
    """How each action was told while the plugin that registered it was enabled, kept per language at every
    upgrade: the log of a plugin later disabled or removed still reads as sentences. A row with the code
    `labels:<plugin>` keeps the plugin's permission labels in `fields`."""

    code = CharField(max_length=80)
    locale = CharField(max_length=10)
    plugin = CharField(max_length=60)
    sentence = TextField(default="")
    fields = JSONField(default=dict)
    values = JSONField(default=dict)

    class Meta:
        table_name = "audit_text"
        primary_key = CompositeKey("code", "locale")


def record(action: str, obj_type: str, obj_id="", summary="", before=None, after=None, actor=None):
    """Write one audit row. Only changed keys are kept when both sides are dicts."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if isinstance(before, dict) and isinstance(after, dict):
        keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(keys)}
        after = {k: after.get(k) for k in sorted(keys)}
    return AuditEntry.create(
        actor=actor if isinstance(actor, User) else None,  # a system actor has a name, not a user row
        actor_name=actor.username if actor else "system",
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        summary=summary,
        before=before,
        after=after,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )


@dataclass(frozen=True)
class AuditAction:
    """How the audit log tells one action code as a sentence. `sentence` is a lazy msgid whose
    `%(object)s` becomes the entry's object (its summary, else its kind and id), linked to
    `link(object_id)` when given; `fields` label the keys of the entry's before/after values and
    `values` the codes a key holds (`{"stage": {"towed": _l("Towed")}}`)."""

    code: str
    sentence: str
    link: Callable[[str], str | None] | None = None
    fields: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)


def link_to(endpoint: str, id_arg: str | None = None, **fixed) -> Callable[[str], str | None]:
    """An AuditAction's link for an object id: `link_to("admin.user_edit", id_arg="user_id")` links an
    entry about user 5 to /admin/users/5; without `id_arg`, to the endpoint's one page."""
    from flask import url_for

    def link(object_id):
        if id_arg and not str(object_id).isdigit():
            return None
        return url_for(endpoint, **({id_arg: int(object_id)} if id_arg else {}), **fixed)

    return link


@dataclass
class Told:
    """One audit entry as the log shows it: the sentence (Markup) and its changes (label, old, new)."""

    sentence: Markup
    changes: list[tuple[str, str, str]]


def tell(entry: AuditEntry, actions: dict[str, AuditAction], labels: dict, codes: dict | None = None) -> Told:
    """Render an entry in the reader's language. Unknown action codes (a plugin since removed) keep
    their code, so nothing recorded is ever hidden."""
    action = actions.get(entry.action)
    name = entry.summary or f"{entry.object_type} {entry.object_id}".strip()
    url = None
    if action and action.link and entry.object_id:
        try:
            url = action.link(entry.object_id)
        except Exception:  # an object kind whose page has gone: the name alone
            url = None
    target = Markup('<a href="{}">{}</a>').format(url, name) if url else Markup("<strong>{}</strong>").format(name)
    if action:
        sentence = Markup(escape(str(action.sentence))) % {"object": target}
    else:
        sentence = Markup("<code>{}</code> {}").format(entry.action, target)
    fields = {**labels, **(action.fields if action else {})}
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    codes = {**(codes or {}), **(action.values if action else {})}
    changes = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = (shown(side.get(key), codes.get(key, {})) for side in (before, after))
        changes.append((str(fields.get(key, key)), old, new))
    if not isinstance(entry.before, dict) and entry.before is not None:
        changes.append(("", shown(entry.before), shown(entry.after)))
    elif not isinstance(entry.after, dict) and entry.after is not None:
        changes.append(("", "", shown(entry.after)))
    return Told(sentence, changes)


def shown(value, codes: dict | None = None) -> str:
    """A recorded value as a person reads it: no JSON quoting, no escapes, codes by their label."""
    if codes and isinstance(value, str) and value in codes:
        return str(codes[value])
    if value is None or value == "":
        return "—"
    if value is True:
        return gettext("yes")
    if value is False:
        return gettext("no")
    if isinstance(value, list):
        return "、".join(shown(v, codes) for v in value) if value else "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
