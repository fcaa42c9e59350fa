"""Every POST route of the application, found in `app.url_map` (the core's and the zombie_cars plugin's),
gets the audit's 16 hostile payloads in its form fields, as the roles that may post it: no answer is a
500, and no NUL reaches the database.

How a route is covered, with nothing listed by hand but SKIP:
- URL arguments are filled with real ids of objects made here (a case, a vehicle, a department, ...);
  a route with an argument not in IDS fails the coverage test, asking for one.
- Its form fields are found three ways, merged: the forms (`<form>` with `method=post` or `hx-post`)
  posting to it on its own GET page and on the pages its URL lies under (/orders/5 for /orders/5/act,
  /admin/roles for /admin/roles/3/grant); the WTForms form classes its view (or a function the view
  calls in its module) uses; and the `form.get("name")` / `request.form.getlist("name")` its view reads.
  A field's default is what its page shows, so a payload reaches the checks behind the first ones.
- The roles that may post it are those holding the view's declared permission (every role for
  `@login_required`, no one logged in for `@public`); a role answered 403 is skipped.

Sampled, deterministic (random.Random(SEED)): for each route, every payload in one field drawn at random;
then every field of every route with 4 payloads, taken in turn from a shuffled round of the 16 (so each
payload goes into about as many fields as any other); a route with no field is posted once per role.
Last, each route gets two JSON bodies as its first role: its fields all holding a NUL, and a list. Each post goes as the next of the
route's roles in turn, so each role posts to each route it may post to when the route gets at least as
many posts as it has roles. Uploads (file inputs) are not fuzzed: core/photos.py and the importers test
their files. Routes that delete go last, so the others still find their objects.
"""

import inspect
import random
import re
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
import wtforms
from flask_wtf.file import FileField as FlaskFileField
from werkzeug.routing import Rule

from core.db import db
from core.org import Department, Role, RolePermission
from tests.support import ROLES, create_user, login
from tests.workorder_support import act, build_city, report, to_dispatched

SEED = 19
PAYLOADS = {
    "empty": "",
    "100k chars": "x" * 100_000,
    "NUL": "ab\x00cd",
    "invalid UTF-8": b"\xff\xfe\xc3(",
    "-1": "-1",
    "1e26": "1" + "0" * 26,
    "NaN": "NaN",
    "inf": "inf",
    "SQL": "1' OR '1'='1'; DROP TABLE users; --",
    "XSS script": "<script>alert(1)</script>",
    "XSS attribute": '"><img src=x onerror=alert(1)>',
    "superscript two": "²",
    "full-width digits": "１２３",
    "template": "{{7*7}}",
    "formula": '=HYPERLINK("http://evil.example/","click")',
    "CRLF": "a\r\nSet-Cookie: x=1\r\n",
}
PER_FIELD = 4
SKIP = {
    "auth.logout": "ends the session of the role posting; reads no field",
    "admin.job_run": "runs a real scheduled job in a background thread; reads no field",
}
DESTRUCTIVE = re.compile(r"(delete|remove|withdraw)$")
FORM_READ = re.compile(r"""(?:\bform|request\.form|request\.values)\.(?:get|getlist)\(\s*f?["']([A-Za-z_]\w*)["']""")


@pytest.fixture
def app(english_xiuhua_app):
    return english_xiuhua_app(PROPAGATE_EXCEPTIONS=False)  # a 500 is answered as a 500


@pytest.fixture
def world(app, monkeypatch):
    """The objects the URL arguments name, and a client per role."""
    from werkzeug import security

    from core import org

    # a password a payload sets is hashed with one round, not scrypt: hundreds of user edits are posted
    monkeypatch.setattr(org, "generate_password_hash", lambda p: security.generate_password_hash(p, "pbkdf2:sha256:1"))
    from core.catalogue.dispatch_rules import DispatchRule
    from core.components.models import Component
    from core.evaluation import periods, snapshots
    from core.evaluation.models import Deduction
    from core.workorders.models import SavedFilter
    from core.worktime.models import CalendarDay
    from plugins.zombie_cars import service
    from plugins.zombie_cars.models import JointAction, JointVehicle, SurveyRound

    city = build_city()
    target = create_user("target", "handler", city.sanitation)
    with app.app_context(), db.connection_context():
        order = to_dispatched(city, report(city))
        act(city, order, "accept", "handler")  # handling: the case page offers the most forms
        spare = Department.create(name="备用部门", code="spare", type="professional")
        role = Role.create(code="spare", name="备用角色")
        vehicle, _created = service.register(
            city.users["collector"], plate="湘F12345", address="洞庭路1号旁", grid=city.grid.id, colour="白色"
        )
        component = Component.create(
            code="4306020101000001", name="井盖", category=city.category, status="intact", longitude=113.13,
            latitude=29.37, grid=city.grid, maintainer=city.sanitation,
        )  # fmt: skip
        rule = DispatchRule.create(category=city.category, area=city.grid, department=city.landscaping)
        deduction = Deduction.create(
            level="department", object_key=str(city.sanitation.id), object_name="环卫处", day=date(2026, 3, 2),
            points=Decimal(1), reason="返工", author=city.users["evaluator"],
        )  # fmt: skip
        version = snapshots.prepare(periods.parse("2026-02"))
        day = CalendarDay.create(date=date(2027, 1, 1), kind="holiday", name="元旦")
        action = JointAction.create(name="联合整治", action_on=date(2026, 3, 2), team="执法队", legal_basis="依法")
        JointVehicle.create(action=action, vehicle=vehicle)
        survey = SurveyRound.create(name="摸底", started_on=date(2026, 3, 1))
        saved = SavedFilter.create(user=city.users["dispatcher"], name="待派遣", query="box=to_dispatch")
        ids = {
            "order_id": order.id, "vehicle_id": vehicle.id, "dept_id": spare.id, "user_id": target.id,
            "role_id": role.id, "category_id": city.category.id, "standard_id": city.standard.id,
            "rule_id": rule.id, "component_id": component.id, "deduction_id": deduction.id,
            "snapshot_id": version.snapshot_id, "version_id": version.id, "day_id": day.id,
            "action_id": action.id, "round_id": survey.id, "filter_id": saved.id,
        }  # fmt: skip
        granted = {}
        for grant in RolePermission.select(RolePermission, Role).join(Role):
            granted.setdefault(grant.permission_id, set()).add(grant.role.code)
    clients = {}
    for code in ROLES:
        clients[code] = app.test_client()
        assert login(clients[code], code).status_code == 302
    clients[None] = app.test_client()
    return {"ids": ids, "clients": clients, "granted": granted}


# --- finding the routes, their fields and who may post --------------------------------------------------


class Forms(HTMLParser):
    """The POST forms of a page: [(target path, {field: default or None})], file inputs left out."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.forms, self._form, self._select, self._textarea = page_path, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            target = a.get("hx-post") or (a.get("action") if a.get("method", "").lower() == "post" else None)
            if target is None and a.get("method", "").lower() == "post":
                target = self.page_path
            self._form = {} if target is not None else None
            if self._form is not None:
                self.forms.append((urlsplit(target or self.page_path).path, self._form))
            return
        if self._form is None:
            return
        if tag == "option" and self._select and (self._form.get(self._select) is None or "selected" in a):
            self._form[self._select] = a.get("value", "")
        name = a.get("name")
        if not name:
            return
        if tag == "input" and a.get("type", "text") != "file":
            choice = a.get("type") in ("checkbox", "radio", "submit")
            if not choice or "checked" in a:
                self._form[name] = a.get("value", "on" if choice else "")
            else:
                self._form.setdefault(name, None)
        elif tag == "button" and a.get("value"):
            self._form.setdefault(name, a["value"])
        elif tag == "select":
            self._select = name
            self._form.setdefault(name, None)
        elif tag == "textarea":
            self._textarea = name
            self._form[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            text = self._form[self._textarea] + data
            self._form[self._textarea] = text.removeprefix("\r\n").removeprefix("\n")  # as a browser does


def post_rules(app) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())]
    return sorted(rules, key=lambda r: (bool(DESTRUCTIVE.search(r.endpoint)), r.rule))


def url_for_rule(rule: Rule, ids: dict) -> str:
    missing = [arg for arg in rule.arguments if arg not in ids]
    assert not missing, f"{rule.rule}: add an id for {missing} to the world fixture"
    return rule.build({arg: ids[arg] for arg in rule.arguments}, append_unknown=False)[1]


def _functions_used(view: Callable, depth=2) -> list[Callable]:
    """The view and the functions of its own module it calls (and those they call), for the fields read."""
    seen, todo = [], [(inspect.unwrap(view), 0)]
    while todo:
        fn, level = todo.pop()
        if fn in seen:
            continue
        seen.append(fn)
        if level < depth:
            for name in fn.__code__.co_names:
                other = fn.__globals__.get(name)
                if inspect.isfunction(other) and other.__module__ == fn.__module__:
                    todo.append((other, level + 1))
    return seen


def declared_fields(view: Callable) -> set[str]:
    """The fields of the WTForms forms the view uses and the form values it reads."""
    fields = set()
    for fn in _functions_used(view):
        for name in fn.__code__.co_names:
            cls = fn.__globals__.get(name)
            if inspect.isclass(cls) and issubclass(cls, wtforms.Form):
                for attr in dir(cls):
                    unbound = getattr(cls, attr, None)
                    if isinstance(unbound, wtforms.fields.core.UnboundField) and not issubclass(
                        unbound.field_class, (wtforms.FileField, FlaskFileField)
                    ):
                        fields.add(attr)
        try:
            fields |= set(FORM_READ.findall(inspect.getsource(fn)))
        except OSError:
            pass
    fields.discard("csrf_token")
    return fields


def pages_above(url: str) -> list[str]:
    """The URL itself and the pages it lies under: /orders/5/act → /orders/5/act, /orders/5, /orders/."""
    parts = url.rstrip("/").split("/")
    found = []
    for end in range(len(parts), 1, -1):
        path = "/".join(parts[:end])
        found += [path, path + "/"]
    return found


def posting_roles(app, rule: Rule, granted: dict) -> list[str | None]:
    permission = getattr(app.view_functions[rule.endpoint], "permission", None)
    if permission == "public":
        return [None]
    if permission == "login":
        return list(ROLES)
    return [code for code in ROLES if code in granted.get(permission, set())]


class Route:
    def __init__(self, rule: Rule, url: str, roles: list, fields: dict):
        self.rule, self.url, self.roles, self.fields = rule, url, roles, fields  # fields: name → default

    def base(self) -> dict:
        return {name: value for name, value in self.fields.items() if value is not None}


def discover(app, world) -> list[Route]:
    pages: dict = {}
    routes = []
    for rule in post_rules(app):
        if rule.endpoint in SKIP:
            continue
        url = url_for_rule(rule, world["ids"])
        roles = posting_roles(app, rule, world["granted"])
        fields = {name: None for name in sorted(declared_fields(app.view_functions[rule.endpoint]))}
        for role in roles:
            for page in pages_above(url):
                if (role, page) not in pages:
                    response = world["clients"][role].get(page)
                    parser = Forms(page)
                    if response.status_code == 200 and response.mimetype == "text/html":
                        parser.feed(response.get_data(as_text=True))
                    pages[role, page] = parser.forms
                for target, form in pages[role, page]:
                    if target == url:
                        for name, value in form.items():
                            if fields.get(name) is None:
                                fields[name] = value
        fields.pop("csrf_token", None)
        routes.append(Route(rule, url, roles, fields))
    return routes


def samples(routes: list[Route]) -> list[tuple[Route, str | None, str]]:
    """(route, field, payload name) as the module docstring says; field None for a route with none."""
    rng = random.Random(SEED)
    chosen = []
    for route in routes:
        names = sorted(route.fields)
        if not names:  # nothing to put a payload in: posted once by each role
            chosen += [(route, None, "empty") for _role in route.roles]
            continue
        field = rng.choice(names)
        chosen += [(route, field, payload) for payload in PAYLOADS]
    rotation, at = list(PAYLOADS), 0
    rng.shuffle(rotation)
    for route in routes:
        for field in sorted(route.fields):
            chosen += [(route, field, rotation[(at + i) % len(rotation)]) for i in range(PER_FIELD)]
            at += PER_FIELD
    return chosen


def body(data: dict) -> bytes:
    return urlencode(list(data.items())).encode("ascii")


def nul_rows() -> list[str]:
    found = []
    for table in db.get_tables():
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        names = [c[0] for c in cursor.description]
        for row in cursor.fetchall():
            for name, value in zip(names, row, strict=True):
                if isinstance(value, str) and "\x00" in value:
                    found.append(f"{table}.{name}")
    return found


# --- the tests ----------------------------------------------------------------------------------------------


def test_no_payload_in_any_field_of_any_post_route_is_a_server_error(app, world):
    routes = discover(app, world)
    failures, posted, turn = [], {}, {}
    for route, field, payload in samples(routes):
        if not route.roles:
            continue
        index = turn.get(route.rule.rule, 0)
        turn[route.rule.rule] = index + 1
        role = route.roles[index % len(route.roles)]
        data = route.base()
        if field is not None:
            data[field] = PAYLOADS[payload]
        response = world["clients"][role].post(
            route.url, data=body(data), content_type="application/x-www-form-urlencoded"
        )
        if response.status_code == 500:
            failures.append(f"{route.url} {field}={payload} as {role}")
        if response.status_code != 403:
            posted.setdefault(route.rule.rule, set()).add(role)
    for route in routes:  # the same fields as a JSON body, as Flask-WTF would read one
        for document in ({**route.base(), **dict.fromkeys(route.fields, PAYLOADS["NUL"])}, [1]):
            for role in route.roles[:1]:
                response = world["clients"][role].post(route.url, json=document)
                if response.status_code == 500:
                    failures.append(f"{route.url} JSON {str(document)[:60]} as {role}")
    for thread in threading.enumerate():
        if thread.name.startswith("export-"):
            thread.join(30)
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
    with app.app_context(), db.connection_context():
        assert nul_rows() == []
    unposted = [r.rule.rule for r in routes if r.rule.rule not in posted]
    assert not unposted, f"no role could post to {unposted}"


def test_every_post_route_is_found_with_its_fields_and_roles(app, world):
    routes = {route.rule.endpoint: route for route in discover(app, world)}
    assert set(routes) | set(SKIP) == {rule.endpoint for rule in post_rules(app)}
    # a few that need each way of finding fields
    assert {"action", "reason", "version", "until"} <= set(routes["workorders.act"].fields)  # the case page
    assert {"config"} <= set(routes["evaluation.scoring"].fields)  # its own page and its WTForms class
    assert {"grids", "area", "department"} <= set(routes["responsibility.index"].fields)
    assert {"colour", "plate", "address"} <= set(routes["zombie_cars.edit"].fields)  # the plugin's
    assert routes["workorders.act"].roles == ROLES
    assert routes["admin.user_new"].roles == ["admin"]
    assert routes["auth.login"].roles == [None]
