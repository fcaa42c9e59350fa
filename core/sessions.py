"""What keeps a login valid, checked on every request (core.auth's user loader). The session cookie is
signed, not stored: a copy of it stays valid until something on the server says otherwise. So a session
carries its own random id, the user's session version and its login time, and it has ended when

- the user's `session_version` moved on: they logged out everywhere or changed their password, or an
  administrator disabled them, changed their roles or reset their password (`end_all`);
- its id is in `EndedSession`: it was logged out (`end_this`), kept until it would have run out anyway;
- it is older than SESSION_MAX_HOURS.

Idle time (SESSION_IDLE_MINUTES) is checked by core.auth's gate, which also moves the activity mark."""

import secrets
from datetime import datetime, timedelta

from flask import current_app, session
from peewee import CharField, DateTimeField

from core import clock
from core.db import BaseModel, db
from core.org import User

ENDED = "ended"
TOO_OLD = "too_old"


class EndedSession(BaseModel):
    """A logged-out session's id, until the time it would have run out by itself."""

    sid = CharField(max_length=32, primary_key=True)
    expires_at = DateTimeField(index=True)


def max_age() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def begin(user: User):
    """Mark a freshly logged-in session (after flask_login.login_user)."""
    session["sid"] = secrets.token_hex(16)
    session["ver"] = user.session_version
    session["login_at"] = clock.now().isoformat()


def problem(user: User) -> str | None:
    """Why this request's session of `user` is no longer valid (ENDED, TOO_OLD), or None."""
    sid, login_at = session.get("sid"), session.get("login_at")
    if not sid or not login_at or session.get("ver") != user.session_version:
        return ENDED  # sessions from before session versions count as ended too
    if clock.now() - datetime.fromisoformat(login_at) > max_age():
        return TOO_OLD
    if EndedSession.select().where(EndedSession.sid == sid).exists():
        return ENDED
    return None


def end_this():
    """This session is over (logout): its cookie, wherever copied, is refused from now on."""
    sid, login_at = session.get("sid"), session.get("login_at")
    if not sid or not login_at:
        return
    now = clock.now()
    with db.atomic():
        EndedSession.delete().where(EndedSession.expires_at <= now).execute()
        expires = datetime.fromisoformat(login_at) + max_age()
        EndedSession.insert(sid=sid, expires_at=max(expires, now)).on_conflict_ignore().execute()


def end_all(user: User, keep_this: bool = False):
    """End every session of `user` (one atomic increment); `keep_this`: the current request's session
    stays valid (the user who changed their own password)."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    user.session_version = User.select(User.session_version).where(User.id == user.id).scalar()
    if keep_this:
        session["ver"] = user.session_version
