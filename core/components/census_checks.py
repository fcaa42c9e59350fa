"""Checking the rows of a component census file (core/components/census.py reads the file and writes what
passes): the component ID rule (GB/T 2260 district, category code, serial), the columns Xiuhua knows, the
status words, and `Checker`, which checks each row against the catalogue, the grids, the database and the
rows before it."""

import math
import re
import unicodedata
from datetime import date, datetime

from flask_babel import gettext as _

from core.catalogue.models import Category
from core.components.models import STATUSES, Component
from core.grids.geo import in_china, rounded, to_wgs84
from core.grids.index import locate
from core.grids.models import same_grid_codes
from core.org import Department

ADMIN_DIGITS = 6  # the district's GB/T 2260 administrative-division code
SERIAL_DIGITS = 6
TYPE_DIGITS = {"2013": 4, "2026": 5}  # class (2) + minor (2 or 3): the category code
ID_DIGITS = {edition: ADMIN_DIGITS + n + SERIAL_DIGITS for edition, n in TYPE_DIGITS.items()}  # 16, 17

# Column names as Xiuhua writes them (export) and reads them (import, English or Chinese).
COLUMNS = {
    "code": "部件标识码",
    "name": "部件名称",
    "type_code": "小类代码",
    "status": "部件状态",
    "supervising_department": "主管部门",
    "owning_department": "权属单位",
    "maintaining_department": "养护单位",
    "survey_date": "初始日期",
    "changed_on": "变更日期",
    "source": "数据来源",
    "longitude": "经度",
    "latitude": "纬度",
    "grid": "所在网格",
    "address": "地址",
    "note": "备注",
}
STATUS_WORDS = {
    **{key: key for key in STATUSES},
    "完好": "intact",
    "正常": "intact",
    "normal": "intact",
    "破损": "damaged",
    "损坏": "damaged",
    "丢失": "missing",
    "缺失": "missing",
    "lost": "missing",
    "废弃": "abandoned",
    "移除": "removed",
    "拆除": "removed",
}
STATUS_CHINESE = {"intact": "完好", "damaged": "破损", "missing": "丢失", "abandoned": "废弃", "removed": "移除"}
TEXT_LIMITS = {
    "name": 100,
    "supervising_department": 100,
    "owning_department": 100,
    "maintaining_department": 100,
    "source": 100,
    "address": 200,
    "note": 500,
}
DIGITS = re.compile(r"[0-9]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def id_problem(code: str, edition: str) -> str | None:
    """Why a component ID cannot be right for this edition by its form alone, or None."""
    if re.fullmatch(r"[0-9.]+[eE]\+?[0-9]+", code):
        return _(
            "The ID %(code)s was turned into a number by a spreadsheet: format the ID column as text and export again.",
            code=code,
        )
    if not DIGITS.fullmatch(code):
        return _("The ID %(code)s is not made of digits.", code=code)
    if len(code) not in ID_DIGITS.values():
        return _(
            "The ID %(code)s has %(n)d digits; a component ID has 16 (2013 edition) or 17 (2026 edition).",
            code=code,
            n=len(code),
        )
    if len(code) != ID_DIGITS[edition]:
        return _(
            "The ID %(code)s has %(n)d digits, but this installation uses the %(edition)s catalogue, whose "
            "component IDs have %(expected)d digits.",
            code=code,
            n=len(code),
            edition=edition,
            expected=ID_DIGITS[edition],
        )
    return None


def type_code(code: str, edition: str) -> str:
    return code[ADMIN_DIGITS : ADMIN_DIGITS + TYPE_DIGITS[edition]]


def _coordinate(value: str) -> float | None:
    try:
        number = float(unicodedata.normalize("NFKC", value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _date(value: str) -> date | None:
    text = unicodedata.normalize("NFKC", value).strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


class Checker:
    """Checks rows against the catalogue, the grids and the database (loaded once) and against the rows
    before them in the file."""

    def __init__(self, edition: str, crs: str):
        self.edition, self.crs = edition, crs
        self.categories = {
            c.code: c
            for c in Category.select().where(
                (Category.edition == edition) & (Category.kind == "component") & (Category.active == True)  # noqa: E712
            )
        }
        self.existing = {c.code: c for c in Component.select()}
        self.places = {
            (c.category_id, round(c.longitude, 6), round(c.latitude, 6)): c.code for c in self.existing.values()
        }
        self.departments = {}
        for dept in Department.select():
            self.departments.setdefault(dept.code, dept)
            self.departments.setdefault(dept.name, dept)
        self.code_lines: dict[str, int] = {}
        self.place_lines: dict[tuple, int] = {}

    def check(self, line: int, cells: list[str], table) -> tuple[dict | None, str | None]:
        """(the component's fields, None) or (None, why the row cannot be imported)."""
        if len(cells) != table.width:
            return None, _(
                "The line has %(found)d fields; the header has %(expected)d.", found=len(cells), expected=table.width
            )
        values = {name: cells[index].strip() for name, index in table.columns.items()}
        code = unicodedata.normalize("NFKC", values["code"]).strip()
        if not code:
            return None, _("The ID (部件标识码) is empty.")
        first = self.code_lines.setdefault(code, line)
        if first != line:
            return None, _("The ID %(code)s is already on line %(line)d.", code=code, line=first)
        problem = id_problem(code, self.edition)
        if problem:
            return None, problem
        minor = type_code(code, self.edition)
        category = self.categories.get(minor)
        if category is None:
            return None, _(
                "The type code %(type)s in the ID %(code)s is not a component type of the %(edition)s catalogue.",
                type=minor,
                code=code,
                edition=self.edition,
            )
        given_type = unicodedata.normalize("NFKC", values.get("type_code", "")).strip()
        if given_type and given_type != minor:
            return None, _(
                "The ID %(code)s has the type code %(type)s, but the row says %(given)s.",
                code=code,
                type=minor,
                given=given_type,
            )
        if not values["name"]:
            return None, _("The name (部件名称) is empty.")
        status = STATUS_WORDS.get(unicodedata.normalize("NFKC", values["status"]).strip().lower())
        if status is None:
            return None, _(
                "The status %(status)s is not one of 完好, 破损, 丢失, 废弃, 移除 (intact, damaged, missing, "
                "abandoned, removed).",
                status=values["status"] or "—",
            )
        for name, limit in TEXT_LIMITS.items():
            if len(values.get(name, "")) > limit:
                return None, _("The column %(column)s is longer than %(n)d characters.", column=COLUMNS[name], n=limit)
        location = self._location(values, code)
        if isinstance(location, str):
            return None, location
        lon, lat, grid = location
        dates = {}
        for name in ("survey_date", "changed_on"):
            try:
                dates[name] = _date(values[name]) if values.get(name) else None
            except ValueError:
                return None, _(
                    "The date %(value)s (%(column)s) is not a date like 2026-05-01.",
                    value=values[name],
                    column=COLUMNS[name],
                )
        place = (category.id, round(lon, 6), round(lat, 6))
        known = self.places.get(place)
        if known is not None and known != code:
            return None, _(
                "A %(type)s at the same place is already recorded as %(other)s.", type=category.name, other=known
            )
        first = self.place_lines.setdefault(place, line)
        if first != line:
            return None, _("A %(type)s at the same place is already on line %(line)d.", type=category.name, line=first)
        maintaining = values.get("maintaining_department", "")
        dept = self.departments.get(maintaining) if maintaining else None
        fields = {
            "code": code,
            "name": values["name"],
            "category_id": category.id,
            "status": status,
            "supervising_department": values.get("supervising_department", ""),
            "owning_department": values.get("owning_department", ""),
            "maintaining_department": maintaining,
            "maintainer_id": dept.id if dept else None,
            "source": values.get("source", ""),
            "longitude": lon,
            "latitude": lat,
            "grid_id": grid.id,
            "address": values.get("address", ""),
            "note": values.get("note", ""),
            **dates,
        }
        return fields, None

    def _location(self, values: dict, code: str):
        """(lon, lat, grid) in WGS84, or why not."""
        lon, lat = _coordinate(values["longitude"]), _coordinate(values["latitude"])
        if lon is None or lat is None:
            return _("The longitude and latitude (经度, 纬度) must be numbers in degrees.")
        if not in_china(lon, lat):
            if in_china(lat, lon):
                return _(
                    "Longitude and latitude seem swapped: %(lon)s, %(lat)s.",
                    lon=values["longitude"],
                    lat=values["latitude"],
                )
            return _("The point %(lon)s, %(lat)s is not in China.", lon=values["longitude"], lat=values["latitude"])
        lon, lat = (rounded(v) for v in to_wgs84(lon, lat, self.crs))
        grid = locate(lon, lat)
        if grid is None:
            return _(
                "The point %(lon)s, %(lat)s is outside every unit grid (check the coordinate system, or import "
                "the grids first).",
                lon=values["longitude"],
                lat=values["latitude"],
            )
        if code[:ADMIN_DIGITS] != grid.code[:ADMIN_DIGITS]:
            return _(
                "The ID %(code)s begins with %(prefix)s, but its point lies in grid %(grid)s of district %(district)s.",
                code=code,
                prefix=code[:ADMIN_DIGITS],
                grid=grid.code,
                district=grid.code[:ADMIN_DIGITS],
            )
        given = unicodedata.normalize("NFKC", values.get("grid", "")).strip()
        if given and given != grid.code and given not in same_grid_codes(grid.code):
            return _("The row says grid %(given)s, but its point lies in grid %(grid)s.", given=given, grid=grid.code)
        return lon, lat, grid
