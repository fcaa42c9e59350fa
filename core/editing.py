"""Edit forms that never lose an update. Every edited row has a `version`; the form carries the version it
showed, and the save is one conditional UPDATE: `... SET fields, version = version + 1 WHERE id = ? AND
version = ?`. Of two saves at the same instant the database lets exactly one match; the other updates
no row, writes nothing and is told, from the audit log, who changed what in the meantime."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField

from core.audit import AuditEntry
from core.parsing import ParseError, parse_int
from core.settings import Setting


class Stale(Exception):
    """The row's version is no longer the one the form showed: someone else saved first."""


def save(row, version: int, fields: dict):
    """Write `fields` to `row` if its version is still `version`, bumping it; raise Stale otherwise.
    Call it inside the transaction that writes the rest of the change, first, so that a refusal
    leaves nothing behind."""
    model = type(row)
    updated = (
        model.update({model.version: model.version + 1}, **fields)
        .where((model._meta.primary_key == row.get_id()) & (model.version == version))
        .execute()
    )
    if updated != 1:
        raise Stale
    for name, value in fields.items():
        setattr(row, name, value)
    row.version = version + 1


def save_setting(key: str, version: int):
    """The same check and write for a version kept as a setting (what is edited is not one row): raise
    Stale unless the setting still holds `version`, else make it `version + 1`. A missing one is 0."""
    Setting.insert(key=key, value="0").on_conflict_ignore().execute()
    updated = Setting.update(value=str(version + 1)).where((Setting.key == key) & (Setting.value == str(version)))
    if updated.execute() != 1:
        raise Stale


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def changed_by(object_type: str, object_id, labels: dict | None = None) -> str:
    """Who changed the object last, when, and what (from its newest audit entry): the refusal a stale
    save gets."""
    entry = (
        AuditEntry.select()
        .where((AuditEntry.object_type == object_type) & (AuditEntry.object_id == str(object_id)))
        .order_by(AuditEntry.id.desc())
        .first()
    )
    if entry is None:
        return _(
            "Someone else changed this record while you were editing it. Nothing of yours was saved; "
            "reload the page to see the record as it is now."
        )
    labels = labels or {}
    before, after = entry.before or {}, entry.after or {}
    changes = "; ".join(
        f"{labels.get(key, key)}: {_shown(before.get(key))} → {_shown(after.get(key))}" for key in after
    )
    who = f"{entry.actor.name} ({entry.actor_name})" if entry.actor_id else entry.actor_name
    return _(
        "%(who)s changed this record at %(when)s, while you were editing it: %(changes)s. Nothing of yours "
        "was saved. Your entries are still in the form: save again to put them in place of that change, or "
        "reload the page to start from it.",
        who=who,
        when=entry.at.strftime("%Y-%m-%d %H:%M:%S"),
        changes=changes or _("no field shown here"),
    )


class EditForm(FlaskForm):
    """A form editing an existing row. `version` carries the row's version as the form showed it; it is
    required, and `save()` refuses a stale one (the check and the write are one statement)."""

    version = HiddenField()
    editing = True  # forms that also create rows set it to None for a new one: no version to check then

    def show(self, version):
        self.version.data = version

    def _posted_version(self) -> str:
        # Only what was posted counts: a form built with obj=row would otherwise fill in the row's own.
        return (self.version.raw_data or [""])[0]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.editing is not None and self._version_or_none() is None:
            self.form_errors.append(
                _l("This form does not say which version of the record it edits. Reload the page; nothing was saved.")
            )
            return False
        return valid

    @property
    def seen_version(self) -> int:
        return self._version_or_none()

    def _version_or_none(self) -> int | None:
        try:
            return parse_int(self._posted_version(), min=0)
        except ParseError:
            return None

    def save(self, row, fields: dict):
        save(row, self.seen_version, fields)

    def refuse(self, object_type: str, object_id, current_version):
        """After Stale: say who changed what, and carry the current version, so that saving again is a
        decision taken knowing the other change."""
        labels = {name: str(field.label.text) for name, field in self._fields.items()}
        self.form_errors.append(changed_by(object_type, object_id, labels))
        self.version.data = current_version
