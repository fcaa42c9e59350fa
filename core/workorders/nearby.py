"""Cases by distance from where a phone is (issue 11, phone layouts): the `near=lat,lon` of the case list
and the home page's nearby cases, and how a card says how far a case is and how long its stage has left.

Distances are for sorting and for a rough "350 m" on a card: the squared distance on latitude and on
longitude scaled by cos(latitude) (an equirectangular projection, exact enough within a city), so the
database orders by plain arithmetic on the stored columns."""

import math

from flask_babel import gettext as _
from peewee import Value

from core import clock
from core.parsing import ParseError, parse_float
from core.workorders.models import WorkOrder

METRES_PER_DEGREE = 111_320.0
NEARBY_METRES = 3000  # the home page's "nearby": open cases within this distance


def parse_near(text) -> tuple[float, float] | None:
    """`lat,lon` in degrees (what the page's geolocation gives), or None when it is not one: a position
    that cannot be read sorts the list as if none was given."""
    parts = str(text or "").replace("，", ",").split(",")
    if len(parts) != 2:
        return None
    try:
        return parse_float(parts[0].strip(), min=-90, max=90), parse_float(parts[1].strip(), min=-180, max=180)
    except ParseError:
        return None


def _scale(lat: float) -> float:
    return max(math.cos(math.radians(lat)), 0.01)


def nearest_first(lat: float, lon: float) -> tuple:
    """ORDER BY terms: cases without coordinates last, the others nearest first, then by id."""
    dy = WorkOrder.latitude - Value(lat, converter=False)
    dx = (WorkOrder.longitude - Value(lon, converter=False)) * Value(_scale(lat), converter=False)
    return (WorkOrder.latitude.is_null(), WorkOrder.longitude.is_null(), dy * dy + dx * dx, WorkOrder.id)


def within(lat: float, lon: float, metres: float = NEARBY_METRES):
    """A WHERE clause: cases with coordinates inside the square of side 2 × `metres` around the point."""
    dlat = metres / METRES_PER_DEGREE
    dlon = dlat / _scale(lat)
    return WorkOrder.latitude.between(lat - dlat, lat + dlat) & WorkOrder.longitude.between(lon - dlon, lon + dlon)


def metres(order, near) -> float | None:
    """How far the case is from `near` (lat, lon), in metres, or None when either is unknown."""
    if near is None or order.latitude is None or order.longitude is None:
        return None
    lat, lon = near
    dy = (float(order.latitude) - lat) * METRES_PER_DEGREE
    dx = (float(order.longitude) - lon) * METRES_PER_DEGREE * _scale(lat)
    return math.hypot(dx, dy)


def distance_label(order, near) -> str:
    """'350 m', '1.2 km', or '' when the distance is unknown (a Jinja filter)."""
    found = metres(order, near)
    if found is None:
        return ""
    if found < 1000:
        return _("%(n)d m", n=round(found / 10) * 10)
    return _("%(n)s km", n=f"{found / 1000:.1f}")


def _duration(seconds: float) -> str:
    minutes = max(int(seconds // 60), 0)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(d)d d %(h)d h", d=days, h=hours)
    if hours:
        return _("%(h)d h %(m)d min", h=hours, m=mins)
    return _("%(m)d min", m=mins)


def time_left(order, now=None) -> str:
    """How long the case's stage has until its deadline, or how long it is past it, in calendar time
    (a Jinja filter; '—' when no clock runs)."""
    now = now or clock.now()
    if order.status == "suspended" and order.suspended_until:
        return _("paused until %(date)s", date=order.suspended_until.strftime("%m-%d"))
    if not order.stage_due_at:
        return "—"
    left = (order.stage_due_at - now).total_seconds()
    if left < 0:
        return _("overdue by %(time)s", time=_duration(-left))
    return _("%(time)s left", time=_duration(left))
