"""Throttling per client address: at most `limit` attempts at one form (a "scope": "login", later the
public forms) from one address in a fixed window of `minutes`. Counted in the database, so that every
web process and thread shares one count; one upsert per attempt.

    if not throttle.allow("login", config["LOGIN_THROTTLE_ATTEMPTS"], config["LOGIN_THROTTLE_MINUTES"]):
        ...answer 429 with throttle.refusal(minutes), without looking at what was sent...

Every attempt counts, refused ones too. Windows are fixed (they start on multiples of `minutes` since
midnight), so a burst across a window's edge can reach twice the limit; a limit of 0 turns the throttle
off. The address is the one the request came from, or the one the reverse proxy names when
REVERSE_PROXIES says how many proxies to trust (core.web)."""

from datetime import datetime, timedelta
from ipaddress import ip_address

from flask import current_app, request
from flask_babel import gettext as _
from peewee import CharField, DateTimeField, IntegerField

from core import clock
from core.db import BaseModel, db


class ThrottleHit(BaseModel):
    """Attempts at one scope from one address in one window; deleted once the window is over."""

    scope = CharField(max_length=40)
    address = CharField(max_length=64)
    window_start = DateTimeField()
    expires_at = DateTimeField(index=True)
    hits = IntegerField(default=1)

    class Meta:
        indexes = ((("scope", "address", "window_start"), True),)


def window_start(now: datetime, minutes: int) -> datetime:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((now - midnight).total_seconds() // 60)
    return midnight + timedelta(minutes=elapsed - elapsed % minutes)


def client_address() -> str:
    return request.remote_addr or ""


def exempt(address: str) -> bool:
    """Loopback is exempt only where THROTTLE_EXEMPT_LOOPBACK says so: the test kit sets it, production
    refuses it (behind a reverse proxy on the same machine every request comes from loopback)."""
    if not current_app.config["THROTTLE_EXEMPT_LOOPBACK"]:
        return False
    try:
        return ip_address(address).is_loopback
    except ValueError:
        return False


def allow(scope: str, limit: int, minutes: int, address: str | None = None) -> bool:
    """Count one attempt at `scope` from `address` (default: this request's client); False when it is
    over `limit` in the current window."""
    address = client_address() if address is None else address
    if limit <= 0 or exempt(address):
        return True
    now = clock.now()
    start = window_start(now, max(minutes, 1))
    key = (ThrottleHit.scope == scope) & (ThrottleHit.address == address) & (ThrottleHit.window_start == start)
    with db.atomic():
        ThrottleHit.delete().where(ThrottleHit.expires_at <= now).execute()
        ThrottleHit.insert(
            scope=scope, address=address, window_start=start, expires_at=start + timedelta(minutes=max(minutes, 1))
        ).on_conflict(
            conflict_target=[ThrottleHit.scope, ThrottleHit.address, ThrottleHit.window_start],
            update={ThrottleHit.hits: ThrottleHit.hits + 1},
        ).execute()
        hits = ThrottleHit.select(ThrottleHit.hits).where(key).scalar()
    if hits == limit + 1:
        current_app.logger.warning("throttle %s: %s reached %d attempts in %d minutes", scope, address, limit, minutes)
    return hits <= limit


def refusal(minutes: int) -> str:
    """What to tell a refused client: how many minutes until the window of `minutes` is over."""
    now = clock.now()
    end = window_start(now, max(minutes, 1)) + timedelta(minutes=max(minutes, 1))
    wait = max(-(-int((end - now).total_seconds()) // 60), 1)
    return _("Too many attempts from your address. Try again in %(minutes)d minutes.", minutes=wait)
