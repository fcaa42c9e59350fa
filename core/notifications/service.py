"""notify(): tell recipients (core.notifications.recipients) something about a subject. Each person once,
in their language, in their in-app notifications; then, unless they turned the kind off (NotifyOptOut),
through the notify hook (SMS, messaging apps) once the caller's transaction has committed. A party's
contact gets no row of a user: it is logged (ContactNotice) and handed to the notify hook."""

from flask import current_app
from flask_babel import force_locale

from core import clock
from core.notifications.models import ContactNotice, Notification, NotifyOptOut
from core.org import User


def language(user=None) -> str:
    """The language to write to this person in (the installation's when they have none we speak)."""
    wanted = getattr(user, "language", None)
    return wanted if wanted in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def subjects() -> dict:
    """{subject kind: NotificationSubject}, from every plugin's notification_subjects."""
    from core import plugins

    return {subject.kind: subject for _plugin, subject in plugins.host().items("notification_subjects")}


def subject_ref(subject) -> tuple[str | None, int | None]:
    """(kind, id) for None, a (kind, id) pair, or a row of a registered subject's model."""
    if subject is None:
        return None, None
    if isinstance(subject, tuple):
        return subject[0], int(subject[1])
    for kind, registered in subjects().items():
        if registered.model is not None and isinstance(subject, registered.model):
            return kind, subject.id
    raise ValueError(f"no notification subject is registered for {type(subject).__name__}")


def link(note) -> str | None:
    """Where a notification leads: its subject's page, None when it has none."""
    registered = subjects().get(note.subject_kind) if note.subject_kind else None
    return registered.link(note.subject_id) if registered and note.subject_id is not None else None


def outside_kinds_off(user_id) -> set[str]:
    return {row.kind for row in NotifyOptOut.select(NotifyOptOut.kind).where(NotifyOptOut.user == user_id)}


def _recipients(recipients):
    """The users (each once, in order) and the contacts among `recipients` (Recipients or Users)."""
    users, contacts, seen = [], [], set()
    for recipient in recipients:
        if isinstance(recipient, User):
            found = [recipient]
        elif recipient.is_contact:
            if recipient.values[0] and recipient.values[0] not in {c.values[0] for c in contacts}:
                contacts.append(recipient)
            continue
        else:
            found = recipient.users()
        for user in found:
            if user.id not in seen:
                seen.add(user.id)
                users.append(user)
    return users, contacts


def notify(subject, recipients, kind: str, text, due=None) -> int:
    """Tell `recipients` (Recipients or Users) of `subject` (None, a (kind, id) pair, or a row of a
    registered subject's model): `text` is a string or `text(user)` (None for a contact), called in each
    one's language. A user is told once per call, and once per subject, kind and `due` when `due` is
    given (a reminder about a deadline). Returns how many were told."""
    host = current_app.extensions["xiuhua.plugins"]
    subject_kind, subject_id = subject_ref(subject)
    workorder = subject if subject_kind == "workorder" and not isinstance(subject, tuple) else None
    users, contacts = _recipients(recipients)
    if due is not None and users:
        told = Notification.select(Notification.user).where(
            (Notification.subject_kind == subject_kind)
            & (Notification.subject_id == subject_id)
            & (Notification.kind == kind)
            & (Notification.due == due)
        )
        already = {row.user_id for row in told}
        users = [user for user in users if user.id not in already]
    now = clock.now()
    hook = {"workorder": workorder, "subject": (subject_kind, subject_id)}
    for user in users:
        with force_locale(language(user)):
            message = str(text(user) if callable(text) else text)
        Notification.create(
            user=user, subject_kind=subject_kind, subject_id=subject_id, kind=kind, due=due, text=message, at=now
        )
        if kind not in outside_kinds_off(user.id):
            host.fire("notify", user=user, message=message, contact=None, **hook)
    for contact in contacts:
        with force_locale(language()):
            message = str(text(None) if callable(text) else text)
        address = contact.values[0]
        ContactNotice.create(
            contact=address, name=contact.name, subject_kind=subject_kind, subject_id=subject_id, kind=kind,
            text=message, at=now,
        )  # fmt: skip
        host.fire("notify", user=None, message=message, contact=address, **hook)
    return len(users) + len(contacts)


def tell(users, kind: str, write, *, order=None, due=None) -> int:
    """notify(order, users, kind, lambda _user: write(), due): kept for plugins written before notify()."""
    return notify(order, users, kind, lambda _user: write(), due=due)


def unread(user) -> int:
    """The user's unread notifications: one count on the (user, read) index, for the header's badge."""
    return Notification.select().where((Notification.user == user.id) & (Notification.read == False)).count()
