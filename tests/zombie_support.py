"""Helpers for the zombie-car campaign's tests: the test city with a parking office and a second
district, vehicles registered by the collector, notices, the demo calendar."""

from core.areas import Area
from core.db import db
from core.org import Department
from core.testcity import build_city
from core.testing import create_user
from plugins.zombie_cars import service
from tests.support import ROOT


def zombie_city():
    """build_city() plus the parking office (tow orders go there), its handler "parker", a user with no
    role "nobody", and a second district 云溪区 with one grid (nobody's patrol area)."""
    made = build_city()
    with db.connection_context():
        made.parking = Department.create(name="停车管理办公室", code="parking", type="professional")
        district = Area.create(code="430603", name="云溪区", level="district")
        street = Area.create(code="430603001", name="云溪街道", level="street", parent=district)
        community = Area.create(code="430603001001", name="云溪社区", level="community", parent=street)
        made.far_grid = Area.create(code="430603001001001", name="云溪社区1号网格", level="grid", parent=community)
    made.users["parker"] = create_user("parker", "handler", made.parking)
    made.users["nobody"] = create_user("nobody")
    return made


def register(city, plate="湘F12345", **fields):
    values = {"address": "洞庭路1号旁", "grid": city.grid.id, "colour": "白色", "brand": "捷达"}
    values.update(fields)
    vehicle, created = service.register(city.users["collector"], plate=plate, **values)
    assert created
    return vehicle


def reload(row):
    return type(row).get_by_id(row.id)


def load_demo_calendar():
    """The holidays and make-up working days the demo loads (data/calendar/cn-2026.csv). In a request context."""
    from core.worktime.edits import decode, import_days, read_csv

    rows, errors = read_csv(decode((ROOT / "data/calendar/cn-2026.csv").read_bytes()))
    assert errors == []
    import_days(rows, replace=True, source="test")
