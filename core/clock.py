"""The one source of "now". Times are stored naive, in the deployment's configured time zone, so
that a bureau reads the same wall-clock times the database holds. Tests freeze it with `frozen`."""

import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo

_zone = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def init_app(app):
    global _zone
    _zone = ZoneInfo(app.config["TIMEZONE"])


def zone() -> ZoneInfo:
    return _zone


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.now(_zone).replace(tzinfo=None, microsecond=0)


@contextlib.contextmanager
def frozen(at: datetime):
    """Make now() answer `at` inside the block (for tests and the plugin test kit)."""
    global _frozen
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous
