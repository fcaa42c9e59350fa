"""A small city for tests (the test kit's `city`, `photo` and `case` fixtures, core/testing.py): one
category with a filing standard, grids, departments, one user per role, the collector responsible for a
community. Call these inside `in_db(app, ...)` where they touch photos or the workflow (both read the
application's configuration)."""

import io
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image

from core import photos
from core.areas import Area
from core.catalogue.models import Category, FilingStandard
from core.db import db
from core.org import Department
from core.responsibility.models import GridAssignment
from core.testing import ROLES, create_user
from core.workorders import workflow


@dataclass
class City:
    users: dict
    sanitation: Department
    landscaping: Department
    category: Category
    standard: FilingStandard
    grid: Area
    other_grid: Area


def build_city() -> City:
    with db.connection_context():
        centre = Department.create(name="指挥中心", code="command", type="command")
        sanitation = Department.create(name="环卫处", code="sanitation", type="professional")
        landscaping = Department.create(name="园林处", code="landscaping", type="professional")
        district = Area.create(code="430602", name="岳阳楼区", level="district")
        street = Area.create(code="430602001", name="岳阳楼街道", level="street", parent=district)
        community = Area.create(code="430602001001", name="洞庭社区", level="community", parent=street)
        other = Area.create(code="430602001002", name="滨湖社区", level="community", parent=street)
        grid = Area.create(code="430602001001001", name="洞庭社区1号网格", level="grid", parent=community)
        other_grid = Area.create(code="430602001002001", name="滨湖社区1号网格", level="grid", parent=other)
        category = Category.create(
            kind="event", edition="2013", class_code="01", class_name="市容环境", code="0101", name="暴露垃圾",
            default_department=sanitation,
        )  # fmt: skip
        standard = FilingStandard.create(
            category=category, seq=1, filing_condition="垃圾暴露", limit_text="4工作时", limit_value=Decimal(4),
            limit_unit="work_hour", limit_note="", closing_condition="清理干净", handling_unit="环卫处",
            supervising_unit="城管局", source="test",
        )  # fmt: skip
    users = {}
    for role in ROLES:
        dept = {"handler": sanitation, "dept_head": sanitation}.get(role, centre)
        users[role] = create_user(role, role, dept)
    users["other_handler"] = create_user("other_handler", "handler", landscaping)
    users["other_collector"] = create_user("other_collector", "collector", centre)
    with db.connection_context():
        GridAssignment.create(user=users["collector"], area=community)
        GridAssignment.create(user=users["other_collector"], area=other)
    return City(users, sanitation, landscaping, category, standard, grid, other_grid)


def jpeg(colour="red", size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def photo(user, colour="red"):
    return photos.store(io.BytesIO(jpeg(colour)), "p.jpg", user)


def report(city, **fields):
    """A collector's report in the collector's grid (the other grid's is reported by its own collector:
    a report from outside one's patrol areas waits for verification)."""
    values = {"category": city.category, "description": "垃圾桶满溢", "grid": city.grid, "address": "洞庭路1号"}
    values.update(fields)
    reporter = city.users["other_collector" if values["grid"] == city.other_grid else "collector"]
    return workflow.create_order(reporter, "collector", photos=[photo(reporter)], **values)


def act(city, order, action, role, **kwargs):
    """Apply an action as the given role with the case's current version."""
    fresh = type(order).get_by_id(order.id)
    return workflow.transition(order.id, action, actor=city.users[role], version=fresh.version, **kwargs)


def to_dispatched(city, order):
    act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
    act(city, order, "dispatch", "dispatcher", data={"department": city.sanitation.id})
    return type(order).get_by_id(order.id)


def other_category(city):
    """A second category (0102 绿地脏乱, landscaping's by default) with its filing-standard row."""
    category = Category.create(
        kind="event", edition="2013", class_code="01", class_name="市容环境", code="0102", name="绿地脏乱",
        default_department=city.landscaping,
    )  # fmt: skip
    standard = FilingStandard.create(
        category=category, seq=1, filing_condition="绿地有垃圾", limit_text="4工作时", limit_value=Decimal(4),
        limit_unit="work_hour", limit_note="", closing_condition="", handling_unit="", supervising_unit="",
        source="test",
    )  # fmt: skip
    return category, standard
