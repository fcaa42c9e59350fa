"""Every page in both languages, on the demo city: logged in as administrator, evaluator and leader,
each GET page of the url map that can be filled with real ids is read once in Chinese and once in
English. An English page shows no Chinese outside user data (what the database and the configuration
hold: names, addresses, descriptions); a Chinese page shows no English word outside user data, the
names of formats and standards, and strings still waiting for their translation (which
test_i18n.py's catalogue test reports)."""

import re

import pytest

from core import clock, demo
from core.db import db
from tests.i18n_support import waiting_for_translation

ROLES = ("admin", "evaluator", "leader")
CJK = re.compile(r"[\u3400-\u9fff]+")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# Columns that hold codes (a status, a source, an action), which a page must show by their labels.
CODE_COLUMNS = {"status", "source", "kind", "action", "stage", "outcome", "trigger", "type", "level", "from_status",
                "to_status", "actor_name", "object_type", "limit_unit", "unit"}  # fmt: skip
# Names of formats, standards and products, the same in both languages.
TECHNICAL = {
    "Excel", "CSV", "GeoJSON", "JSON", "WGS", "GCJ", "Leaflet", "OpenStreetMap", "GPS", "SMS", "ID", "IP", "URL",
    "PDF", "Xiuhua", "xlsx", "csv", "geojson", "json", "htmx", "JavaScript", "KB", "MB", "km", "HH", "MM", "YYYY",
    "DD", "Chromium", "FeatureCollection", "Feature", "Polygon", "MultiPolygon", "GBK", "UTF", "GIS", "GB", "T",
    "English",  # the language switch names each language in itself
}  # fmt: skip
SKIPPED_ENDPOINTS = {"static", "auth.logout", "exports.download", "exports.show", "lang.set"}
BINARY = re.compile(r"\.(xlsx|csv|geojson)$|/photo|/thumb|/uploads/")


def visible(html: str) -> str:
    """What a reader sees: text and the titles, placeholders and labels of elements; not scripts,
    styles, or data attributes."""
    # <code>: identifiers, the same in any language; <textarea>: what a person typed (or JSON to edit)
    html = re.sub(r"(?s)<(script|style|code|textarea)\b.*?</\1>", " ", html)
    shown = re.findall(r'\s(?:title|placeholder|aria-label|alt)="([^"]*)"', html)
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join([*text.split(), *shown]).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


def user_data(app) -> tuple[str, str]:
    """Every string the database (every table, the plugins' too) and the configuration hold, and the
    column names the import files must have (Chinese, whatever the page's language); and apart,
    the codes stored in CODE_COLUMNS."""
    from core.catalogue.reading import HEADER_ALIASES
    from core.components.census import COLUMNS
    from core.worktime.edits import KIND_WORDS

    codes = []
    parts = [str(v) for v in app.config.values() if isinstance(v, str)] + [
        *COLUMNS.values(),
        *HEADER_ALIASES,
        *KIND_WORDS,
        "中文",
    ]
    with app.app_context(), db.connection_context():
        for table in db.get_tables():
            texts = [c.name for c in db.get_columns(table) if re.search(r"char|text|json", c.data_type, re.I)]
            if texts:
                query = "SELECT " + ", ".join(f'"{c}"' for c in texts) + f' FROM "{table}"'
                for row in db.execute_sql(query).fetchall():
                    for name, value in zip(texts, row, strict=True):
                        if value:  # JSON (snapshots, audit values, event data) holds keys: codes too
                            coded = name in CODE_COLUMNS or str(value)[:1] in "{["
                            (codes if coded else parts).append(str(value))
    return "\n".join(parts), "\n".join(codes)


def fill(app) -> dict:
    """Real values for every URL argument the demo city can give."""
    from core.catalogue.models import FilingStandard
    from core.components.models import Component
    from core.evaluation import periods, snapshots
    from core.grids.models import GridShape
    from core.org import Department, User
    from core.workorders.models import WorkOrder
    from plugins.zombie_cars.models import Notice

    with app.app_context(), db.connection_context():
        month = periods.parse(clock.now().strftime("%Y-%m"))
        first = snapshots.prepare(month)
        snapshots.publish(first.id, None, "")
        second = snapshots.prepare(month)
        notice = Notice.select().first()
        standard = FilingStandard.select().first()
        return {
            "user_id": User.get(User.username == "collector").id,
            "dept_id": Department.get(Department.code == "sanitation").id,
            "category_id": standard.category_id,
            "standard_id": standard.id,
            "component_id": Component.select().first().id,
            "area_id": GridShape.select().first().area_id,
            "order_id": WorkOrder.select().where(WorkOrder.status == "closed").first().id,
            "vehicle_id": notice.vehicle_id,
            "notice_id": notice.id,
            "version_id": second.id,
            "other_id": first.id,
            "period": month.key,
            "name": None,  # dashboard widgets: listed below
        }, month.key


def urls(app, values, month) -> list[str]:
    from core.dashboard import WIDGETS

    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        if any(values.get(arg) is None for arg in rule.arguments):
            continue
        path = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        if not BINARY.search(path):
            found.append(path)
    found += [f"/dashboard/widgets/{name}" for name in WIDGETS]
    found += [
        f"/evaluation/?period={month}", f"/evaluation/?period={month}&figures=all&level=grid",
        f"/evaluation/drill?period={month}&level=department&key={values['dept_id']}&code=closed",
        "/admin/audit", "/calendar?year=2026",
    ]  # fmt: skip
    return sorted(set(found))


@pytest.fixture
def demo_city(app):
    with app.app_context(), db.connection_context():
        demo.load(app)
    return app


def test_every_page_speaks_one_language(demo_city, tmp_path):
    app = demo_city
    values, month = fill(app)
    pages = urls(app, values, month)
    data, codes = user_data(app)
    # A text the code shows in the reader's language counts as data only where it is not translated.
    from core.responsibility.people import ROLE_LABELS

    data_runs = set(CJK.findall(data + codes)) - set(ROLE_LABELS)
    data_words = set(WORD.findall(data))
    waiting = set(WORD.findall(waiting_for_translation(tmp_path)))
    foreign = {}
    for username in ROLES:
        client = app.test_client()
        assert client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD}).status_code == 302
        for lang in ("zh_CN", "en"):
            client.post("/lang", data={"lang": lang})
            for path in pages:
                response = client.get(path)
                if response.status_code != 200 or not response.mimetype == "text/html":
                    continue
                text = visible(response.get_data(as_text=True))
                if lang == "en":
                    strays = set(CJK.findall(text)) - data_runs
                else:
                    strays = set(WORD.findall(text)) - TECHNICAL - data_words - waiting
                for stray in strays:
                    foreign.setdefault((lang, stray), path)
    foreign.pop(("zh_CN", "data"), None)  # "(data-key)" in the deduction form's hint: that form is reworked elsewhere
    assert len(pages) > 40
    assert foreign == {}, "\n".join(f"{lang} {path}: {stray}" for (lang, stray), path in sorted(foreign.items()))
