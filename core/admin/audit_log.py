"""The audit log, newest first, filterable by action, object and actor; every entry told as a
sentence in the reader's language (core.audit.tell, with the actions every plugin registers)."""

from babel import Locale
from flask import current_app, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from peewee import JOIN

from core import plugins
from core.admin import bp
from core.audit import AuditAction, AuditEntry, AuditText, tell
from core.org import User
from core.parsing import parse_int
from core.permissions import requires
from core.web import page

PAGE_SIZE = 50


def actions() -> dict:
    return {action.code: action for _, action in plugins.host().items("register_audit_actions")}


def keep_texts():
    """The upgrade step: every enabled plugin's audit sentences, field and value labels and permission
    labels, told in each language, replace what was kept of them before."""
    host = plugins.host()
    rows = []
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            for plugin, action in host.items("register_audit_actions"):
                values = {
                    key: {code: str(label) for code, label in labels.items()} for key, labels in action.values.items()
                }
                fields = {key: str(label) for key, label in action.fields.items()}
                rows.append(
                    dict(
                        code=action.code,
                        locale=locale,
                        plugin=plugin,
                        sentence=str(action.sentence),
                        fields=fields,
                        values=values,
                    )
                )
            permissions = {}
            for plugin, perm in host.items("register_permissions"):
                permissions.setdefault(plugin, {})[perm["name"]] = str(perm["label"])
            for plugin, labels in permissions.items():
                rows.append(dict(code=f"labels:{plugin}", locale=locale, plugin=plugin, fields=labels))
    for row in rows:
        AuditText.delete().where((AuditText.code == row["code"]) & (AuditText.locale == row["locale"])).execute()
        AuditText.create(**row)


def kept(known: dict) -> tuple[dict, dict]:
    """What the log knows of actions no enabled plugin registers now (a plugin disabled or removed): their
    kept sentences as AuditActions, unlinked, and the kept permission labels."""
    reader = get_locale()
    locale = next((code for code in current_app.config["LANGUAGES"] if Locale.parse(code) == reader), "")
    actions, labels = {}, {}
    for row in AuditText.select().where(AuditText.locale == locale):
        if row.code.startswith("labels:"):
            labels.update(row.fields)
        elif row.code not in known:
            sentence = _("%(sentence)s (from %(plugin)s, not enabled now)", sentence=row.sentence, plugin=row.plugin)
            actions[row.code] = AuditAction(row.code, sentence, fields=row.fields, values=row.values)
    return actions, labels


def who(entry: AuditEntry) -> str:
    if entry.actor_id:
        return entry.actor.name or entry.actor.username
    return entry.actor_name if entry.actor_name not in ("", "system") else _("the system")


@bp.route("/audit")
@requires("admin.audit")
def audit():
    query = AuditEntry.select(AuditEntry, User).join(User, JOIN.LEFT_OUTER).order_by(AuditEntry.id.desc())
    filters = {k: request.args.get(k, "").strip() for k in ("action", "object_type", "actor")}
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters["object_type"]:
        query = query.where(AuditEntry.object_type == filters["object_type"])
    if filters["actor"]:
        query = query.where(AuditEntry.actor_name == filters["actor"])
    page_no = max(request.args.get("page", 1, type=parse_int), 1)
    total = query.count()
    from core.audit_actions import FIELD_LABELS, value_labels  # names other modules' codes; they import core.admin

    known, codes = actions(), value_labels()
    retired, retired_labels = kept(known)
    permissions = {p["name"]: p["label"] for _, p in plugins.host().items("register_permissions")}  # role.grant
    labels = {**FIELD_LABELS, **retired_labels, **permissions}
    told = {**retired, **known}
    entries = [(e, who(e), tell(e, told, labels, codes)) for e in query.paginate(page_no, PAGE_SIZE)]
    return page(
        "admin/audit.html",
        "admin/_audit_rows.html",
        "audit-rows",
        entries=entries,
        filters=filters,
        page_no=page_no,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
    )
