"""How a typed password is checked: throttled per client address (core.throttle), counted per
account and locked after LOGIN_MAX_FAILURES."""

from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit, clock, throttle
from core.db import db
from core.org import User

UNKNOWN_USER_HASH = generate_password_hash("no such user")


class Refusal(NamedTuple):
    message: str
    status: int  # 429: too many attempts from the address; 422: the password was not accepted
    reason: str  # throttled, unknown, disabled, locked, wrong (what the audit log says)


def password_attempt(user, password: str, *, wrong: str, logging_in: bool = True) -> Refusal | None:
    """Every password typed in (the login, the current password of /password) goes through here, so
    that guessing costs the same on every form: the attempt is counted per client address
    (core.throttle, scope "login", one budget for both forms) and refused beyond the limit without
    looking at the password; then it is checked against the account (`_check_credentials`: counted,
    locked after LOGIN_MAX_FAILURES). None when the password is right; `wrong` is the answer to a wrong
    one. A right password clears the account's count, and a login records its time."""
    minutes = current_app.config["LOGIN_THROTTLE_MINUTES"]
    if not throttle.allow("login", current_app.config["LOGIN_THROTTLE_ATTEMPTS"], minutes):
        return Refusal(throttle.refusal(minutes), 429, "throttled")
    refused = _check_credentials(user, password, wrong)
    if refused:
        return refused
    now = clock.now()
    changes = {User.failed_logins: 0, User.locked_until: None}
    if logging_in:
        changes[User.last_login_at] = now
        user.last_login_at = now
    User.update(changes).where(User.id == user.id).execute()
    user.failed_logins, user.locked_until = 0, None
    return None


def _check_credentials(user, password, wrong: str) -> Refusal | None:
    """A refusal, or None when the password is right. The password hash is checked in every case, so
    that no answer comes sooner than another. A locked or disabled account gives one answer whatever
    the password: only an attempt that succeeds tells a password was right."""
    if user is None:
        check_password_hash(UNKNOWN_USER_HASH, password)
        return Refusal(wrong, 422, "unknown")
    if not user.active:
        user.check_password(password)  # not counted: it cannot log in anyway
        return Refusal(_("This account is disabled. Ask an administrator."), 422, "disabled")
    attempt = _count_attempt(user)
    right = user.check_password(password)
    if attempt.locked_until is not None:
        message = _(
            "This account is locked after too many failed logins until %(until)s. "
            "Wait, or ask an administrator to unlock it.",
            until=attempt.locked_until.strftime("%H:%M"),
        )
        return Refusal(message, 422, "locked")
    if right:
        return None
    if attempt.locks:
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        audit.record("user.locked", "user", user.id, user.username, after={"failures": limit}, actor=user)
        message = _(
            "Too many failed logins: this account is locked for %(minutes)d minutes.",
            minutes=current_app.config["LOGIN_LOCK_MINUTES"],
        )
        return Refusal(message, 422, "locked")
    return Refusal(wrong, 422, "wrong")


class Attempt(NamedTuple):
    locked_until: datetime | None  # the account was locked already: refused whatever the password
    locks: bool  # this attempt reached LOGIN_MAX_FAILURES: unless its password is right, the account is locked


def _count_attempt(user) -> Attempt:
    """Count the attempt as a failure before its password is checked (a right one clears the count): one
    atomic increment, then the count it made, in one transaction. Parallel guesses each get their own
    number, so no more than LOGIN_MAX_FAILURES passwords are ever checked before the lock. Attempts during
    a lock count too, and the count goes back to 0 only on a successful login or an unlock: once a lock has
    run out, the next wrong password locks the account again."""
    now = clock.now()
    with db.atomic():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        count, locked_until = (
            User.select(User.failed_logins, User.locked_until).where(User.id == user.id).tuples().get()
        )
        if locked_until is not None and locked_until > now:
            return Attempt(locked_until, False)
        if count < current_app.config["LOGIN_MAX_FAILURES"]:
            return Attempt(None, False)
        until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        User.update(locked_until=until).where(User.id == user.id).execute()
        return Attempt(None, True)
