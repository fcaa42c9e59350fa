"""Issue 19, "keep it true": every route of the url_map × anonymous and every built-in role.

What a route should answer is read from the declarations next to its view (core.permissions): its
permission (`@requires` / `@login_required` / `@public`) and, for a URL with arguments, its scope
(`@scoped(argument, kind=...)` or `@unscoped`). KINDS below says, for each kind, which object of the
world built here is in a role's scope and which is out of it. Expected:

- anonymous: a redirect to the login page, or 200 for a @public view;
- a role without the permission: 403;
- a role with it: 200 (or a redirect that is not to the login page) for an object in its scope, 404
  for one out of it;
- every text page a role gets carries nothing of a case or vehicle out of its scope (markers below).

GET for every route that takes GET. POST (CSRF off, empty body) only where it must be refused:
anonymous, a role without the permission, an object out of scope. POST bodies are fuzzed elsewhere.

One world per module (one app, one database, one logged-in client per role), built once: nothing this
module sends may change it, since every POST it sends must be refused. Sampled: one object in and one
out of scope per kind and role; each unscoped URL argument takes one real value (SAMPLES), except the
dashboard widgets, all of which are tried. The core and the zombie_cars plugin (enabled by default) are
covered; a new route with arguments and no scope declaration fails `test_every_route_with_arguments_
declares_its_scope`, naming its view."""

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import flask
import pytest
from openpyxl import Workbook
from werkzeug.routing import Map

from core import clock, photos
from core import db as dbmod
from core.permissions import LOGIN, PUBLIC, is_static, requires
from core.testing import BASE_CONFIG
from tests.support import ROLES, login
from tests.workorder_support import act, build_city, jpeg, report

MISSING = object()
ALLOWED_REDIRECTS = (301, 302, 303)
OUT_CASE = "矩阵范围外案件OUTSCOPE-B"  # the out-of-scope case's description
OUT_PLATE = "湘FZ9Q7X"  # the out-of-scope vehicle's plate
OUT_NOTICE = "ZC-MATRIX-OUT"


# --- the declarations --------------------------------------------------------------------------------


def rules(app):
    return [rule for rule in app.url_map.iter_rules() if not is_static(rule.endpoint)]


def scope_of(app, rule):
    return getattr(app.view_functions[rule.endpoint], "scope", MISSING)


def undeclared_scopes(app) -> list[str]:
    """Views with URL arguments that declare neither @scoped nor @unscoped, or name an argument their
    URL does not have."""
    bad = set()
    for rule in rules(app):
        scope = scope_of(app, rule)
        if rule.arguments and scope is MISSING:
            bad.add(rule.endpoint)
        elif scope not in (MISSING, None) and scope[0] not in rule.arguments:
            bad.add(rule.endpoint)
    return sorted(bad)


# --- the world ---------------------------------------------------------------------------------------


@dataclass
class Kind:
    in_scope: Callable[[str], list[dict]]  # role → URL values of objects of this kind the role may open
    out_of_scope: Callable[[str], list[dict]]  # role → URL values of those it may not (none: it sees all)
    # URL values of another object whose parts (a photo, a notice) must not be reachable through an
    # object in scope: /campaigns/zombie-cars/<mine>/notices/<another's notice> is a 404 for everyone.
    other: dict | None = None


def _photo(colour, user):
    return photos.store(io.BytesIO(jpeg(colour)), "p.jpg", user)


def _build():
    from core.attachments.models import Attachment
    from core.attachments.service import attach
    from core.catalogue.dispatch_rules import DispatchRule
    from core.catalogue.models import CatalogueImport
    from core.components.models import Component, ComponentImport
    from core.dashboard import WIDGETS
    from core.evaluation import periods, snapshots
    from core.evaluation.models import Deduction
    from core.exports.models import ExportJob
    from core.grids.models import GridImport
    from core.workorders import workflow
    from core.workorders.models import SavedFilter
    from core.worktime.models import CalendarDay
    from plugins.zombie_cars.models import JointAction, JointVehicle, Notice, SurveyRound, Vehicle

    city = build_city()
    users = city.users
    permissions = {role: set(users[role].permissions()) for role in ROLES}
    today = clock.now().date()
    # Case A: the collector's grid, reported by the collector, dispatched to sanitation (the handler's).
    # Case B: the other collector's grid and report, dispatched to landscaping: out of scope for the
    # collector, the handler and the department head; every centre role sees both.
    order_a = report(city, description="矩阵范围内案件IN-A", latitude=Decimal("29.37"), longitude=Decimal("113.09"))
    order_b = workflow.create_order(
        users["other_collector"], "collector", photos=[_photo("blue", users["other_collector"])],
        category=city.category, description=OUT_CASE, grid=city.other_grid, address="滨湖路2号",
        latitude=Decimal("29.38"), longitude=Decimal("113.10"),
    )  # fmt: skip
    for order, department in ((order_a, city.sanitation), (order_b, city.landscaping)):
        act(city, order, "file", "shift_leader", data={"standard": city.standard.id})
        act(city, order, "dispatch", "dispatcher", data={"department": department.id})
    order_b = type(order_b).get_by_id(order_b.id)
    case_photos = {
        key: Attachment.get((Attachment.subject_kind == "workorder") & (Attachment.subject_id == order.id)).id
        for key, order in (("a", order_a), ("b", order_b))
    }

    # Vehicles, seen like cases: A in the collector's grid with a tow order held by sanitation, B in the
    # other grid with landscaping's.
    vehicles, vehicle_photos = {}, {}
    for key, plate, grid, reporter, order, colour in (
        ("a", "湘FA1234", city.grid, users["collector"], order_a, "green"),
        ("b", OUT_PLATE, city.other_grid, users["other_collector"], order_b, "navy"),
    ):
        vehicle = Vehicle.create(
            plate=plate, grid=grid, reported_by=reporter, address="洞庭路", latitude=order.latitude,
            longitude=order.longitude,
        )  # fmt: skip
        notice = Notice.create(
            vehicle=vehicle, number="ZC-MATRIX-IN" if key == "a" else OUT_NOTICE, issued_on=today,
            deadline=today + timedelta(days=7), days=7, legal_basis="依法", office="城管局",
            issued_by=users["collector"], tow_order=order,
        )  # fmt: skip
        photo = _photo(colour, reporter)
        attach("zombie_cars.vehicle", vehicle.id, photo, by=reporter)
        vehicles[key] = {"vehicle_id": vehicle.id, "notice_id": notice.id}
        vehicle_photos[key] = Attachment.get(
            (Attachment.subject_kind == "zombie_cars.vehicle") & (Attachment.subject_id == vehicle.id)
        ).id

    # A joint clearance action listing both vehicles (its page shows each role only the one in its scope),
    # and an open survey round.
    action = JointAction.create(
        name="矩阵联合整治", action_on=today, team="执法队", legal_basis="依法", created_at=clock.now()
    )
    for key in ("a", "b"):
        JointVehicle.create(action=action, vehicle=vehicles[key]["vehicle_id"])
    survey = SurveyRound.create(name="矩阵摸底", started_on=today)

    # Exports: each role's own finished export, and one of the other collector's.
    exports = {}
    for name in [*ROLES, "other_collector"]:
        job = ExportJob.create(user=users[name], kind="orders", status="done", filename="cases.xlsx")
        job.path.parent.mkdir(parents=True, exist_ok=True)
        Workbook().save(job.path)
        exports[name] = job.id

    # Uploads: one photo in every client's session (set in `clients`), one in none.
    upload_in, upload_out = _photo("yellow", users["collector"]), _photo("purple", users["other_collector"])

    period = periods.parse(today.strftime("%Y-%m"))
    first = snapshots.prepare(period)
    snapshots.publish(first.id, users["evaluator"].id)
    second = snapshots.prepare(period)
    deduction = Deduction.create(
        level="department", object_key=str(city.sanitation.id), object_name="环卫处", day=today, points=1,
        reason="矩阵", author=users["evaluator"],
    )  # fmt: skip
    attach("evaluation.deduction", deduction.id, _photo("white", users["evaluator"]), by=users["evaluator"])
    evidence = Attachment.get(Attachment.subject_kind == "evaluation.deduction").id
    component = Component.create(
        code="4306020010010001", name="井盖", category=city.category, status="intact", longitude=113.1,
        latitude=29.3, grid=city.grid,
    )  # fmt: skip
    day = CalendarDay.get_or_none() or CalendarDay.create(date=date(today.year, 10, 1), kind="holiday")
    rule = DispatchRule.create(category=city.category, area=city.grid, department=city.sanitation)
    # Saved list filters: each role's own, and one of the other collector's (out of everyone's scope).
    saved_filters = {
        name: SavedFilter.create(user=users[name], name="我的筛选", query="box=all").id
        for name in [*ROLES, "other_collector"]
    }

    def unless_all(role, values):
        """Cases and vehicles out of scope are none for a holder of workorder.view_all, `values` otherwise."""
        return [] if "workorder.view_all" in permissions[role] else [values]

    case_b = {"order_id": order_b.id}

    def attachments(role, inside):
        """A case's, a vehicle's and a deduction's photos: in scope as the case, the vehicle (for holders
        of zombie_cars.view) and the evaluation pages (evaluation.view) are."""
        may = lambda permission: permission in permissions[role]  # noqa: E731
        found = {
            True: [case_photos["a"]]
            + [vehicle_photos["a"]] * may("zombie_cars.view")
            + [evidence] * may("evaluation.view"),
            False: [case_photos["b"]] * (not may("workorder.view_all"))
            + (
                [vehicle_photos["b"]] * (not may("workorder.view_all"))
                if may("zombie_cars.view")
                else list(vehicle_photos.values())
            )
            + [evidence] * (not may("evaluation.view")),
        }
        return [{"attachment_id": one, "variant": "thumb"} for one in found[inside]]

    def widgets(role, inside):
        """Every widget is on every dashboard but the map, which is for holders of grids.view."""
        sees_map = "grids.view" in permissions[role]
        return [{"name": name} for name in WIDGETS if (name != "map" or sees_map) == inside]

    kinds = {
        "workorder": Kind(
            lambda role: [{"order_id": order_a.id}],
            lambda role: unless_all(role, case_b),
            other=case_b,
        ),
        "vehicle": Kind(lambda role: [vehicles["a"]], lambda role: unless_all(role, vehicles["b"]), vehicles["b"]),
        "attachment": Kind(lambda role: attachments(role, True), lambda role: attachments(role, False)),
        "export": Kind(
            lambda role: [{"export_id": exports[role]}], lambda role: [{"export_id": exports["other_collector"]}]
        ),
        "upload": Kind(lambda role: [{"photo_id": upload_in.id}], lambda role: [{"photo_id": upload_out.id}]),
        "widget": Kind(lambda role: widgets(role, True), lambda role: widgets(role, False)),
        "saved_filter": Kind(
            lambda role: [{"filter_id": saved_filters[role]}],
            lambda role: [{"filter_id": saved_filters["other_collector"]}],
        ),
    }
    samples = {
        "day_id": [day.id],
        "dept_id": [city.landscaping.id],
        "job_id": ["workorders.resume"],
        "role_id": [users["collector"].roles()[0].id],
        "user_id": [users["other_collector"].id],
        "category_id": [city.category.id],
        "rule_id": [rule.id],
        "standard_id": [city.standard.id],
        "catalogue.import_status:import_id": [CatalogueImport.create(filename="c.csv", status="done").id],
        "grids.import_status:import_id": [
            GridImport.create(filename="g.geojson", status="done", crs="wgs84", valid_from=today).id
        ],
        "components.import_status:import_id": [ComponentImport.create(filename="k.csv", status="done").id],
        "component_id": [component.id],
        "deduction_id": [deduction.id],
        "variant": ["thumb"],
        "snapshot_id": [first.snapshot_id],
        "version_id": [second.id],
        "other_id": [first.id],
        "area_id": [city.other_grid.id],
        "period": [period.key],
        "action_id": [action.id],
        "round_id": [survey.id],
    }
    queries = {
        "evaluation.drill_down": f"?period={period.key}&level=department&key={city.sanitation.id}&code=reported",
        "grids.locate_page": "?lon=113.1&lat=29.3",
        "dashboard.nearby": "?lat=29.37&lon=113.13",
    }
    return SimpleNamespace(
        city=city,
        users=users,
        permissions=permissions,
        kinds=kinds,
        samples=samples,
        queries=queries,
        upload=upload_in.id,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory, template_databases):
    from app import create_app

    folder = tmp_path_factory.mktemp("matrix")
    url = template_databases.url(folder)
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance")})
    template_databases.migrated(app)
    with app.test_request_context(), dbmod.db.connection_context():
        built = _build()
    clients = {None: app.test_client()}
    for role in ROLES:
        client = app.test_client()
        assert login(client, role).status_code == 302
        with client.session_transaction() as session:
            session["uploads"] = [built.upload]
        clients[role] = client
    yield SimpleNamespace(app=app, clients=clients, **vars(built))
    if not dbmod.db.is_closed():
        dbmod.db.close()


# --- building the requests ---------------------------------------------------------------------------


def _value_lists(world, rule):
    """{argument: [values]} for the URL arguments not filled by the scope's kind; a missing sample is
    an error naming the argument."""
    values = {}
    for argument in sorted(rule.arguments):
        found = world.samples.get(f"{rule.endpoint}:{argument}", world.samples.get(argument))
        if found is None:
            raise LookupError(f"{rule.endpoint}: no sample value for URL argument {argument!r} (add it to SAMPLES)")
        values[argument] = found
    return values


def _path(world, rule, values) -> str:
    """The rule's URL with these values, and the query string a page needs to show something rather
    than ask for it (world.queries)."""
    built = rule.build({key: values[key] for key in rule.arguments}, append_unknown=False)
    assert built is not None, (rule.rule, values)
    return built[1] + world.queries.get(rule.endpoint, "")


def cases(world, rule, role):
    """(label, path, in scope?) for one rule and one role: the sampled values of an unscoped rule; the
    objects in the role's scope and those out of it of a scoped one."""
    scope = scope_of(world.app, rule)
    if scope in (None, MISSING):
        combos = [{}]
        for argument, options in _value_lists(world, rule).items():
            combos = [{**combo, argument: option} for combo in combos for option in options]
        return [("sample", _path(world, rule, combo), True) for combo in combos]
    kind = world.kinds[scope[1]]
    key = role or "collector"  # anonymous visitors get a collector's objects: the gate answers first
    found = []
    mine = kind.in_scope(key)
    for inside, found_values in ((True, mine), (False, kind.out_of_scope(key))):
        for values in found_values:
            rest = {a: world.samples[a][0] for a in rule.arguments if a not in values and a in world.samples}
            label = "in scope" if inside else "out of scope"
            found.append((label, _path(world, rule, {**rest, **values}), inside))
    parts = set(rule.arguments) & set(kind.other or {}) - {scope[0], "variant"}
    if parts and mine:
        crossed = {**mine[0], **kind.other, scope[0]: mine[0][scope[0]]}
        found.append((f"in scope with another's {', '.join(sorted(parts))}", _path(world, rule, crossed), False))
    return found


def allowed(world, rule, role) -> bool:
    needed = world.app.view_functions[rule.endpoint].permission
    return needed in (PUBLIC, LOGIN) or needed in world.permissions[role]


def to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def expect(world, rule, role, inside):
    """What the route must answer: "login", 403, 404 or "ok"."""
    needed = world.app.view_functions[rule.endpoint].permission
    if needed == PUBLIC:
        return "ok"
    if role is None:
        return "login"
    if not allowed(world, rule, role):
        return 403
    return "ok" if inside else 404


def verdict(response) -> str | int:
    if to_login(response):
        return "login"
    if response.status_code == 200 or response.status_code in ALLOWED_REDIRECTS:
        return "ok"
    return response.status_code


def readable(response) -> str:
    """The text of a page, a JSON or GeoJSON answer, or an Excel workbook (its XML parts); "" for a photo."""
    if response.mimetype.startswith("text/") or "json" in response.mimetype:
        return response.get_data(as_text=True)
    if response.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as workbook:
            return "".join(workbook.read(name).decode() for name in workbook.namelist() if name.endswith(".xml"))
    return ""


# --- the tests ---------------------------------------------------------------------------------------


def test_every_route_with_arguments_declares_its_scope(world):
    undeclared = undeclared_scopes(world.app)
    assert undeclared == [], f"URL arguments but no @scoped(argument, kind=...) or @unscoped: {undeclared}"
    declared = {scope[1] for rule in rules(world.app) if (scope := scope_of(world.app, rule)) not in (None, MISSING)}
    assert declared - set(world.kinds) == set(), "a scope kind the matrix cannot make objects of: add it to kinds"
    # Each kind has, for some role, an object out of scope: the matrix tries the 404 of every scoped route.
    assert {kind for kind in declared if any(world.kinds[kind].out_of_scope(role) for role in ROLES)} == declared


def test_the_check_names_a_route_without_a_scope_declaration():
    app = flask.Flask(__name__)
    app.url_map = Map()

    @app.route("/forgot/<int:thing_id>")
    @requires("x.y")
    def forgot(thing_id):
        return "oops"

    @app.route("/listed")
    @requires("x.y")
    def listed():
        return "fine: no arguments, nothing to scope"

    assert undeclared_scopes(app) == ["forgot"]


def test_every_get_route_answers_each_role_as_declared(world):
    wrong = []
    for rule in rules(world.app):
        if "GET" not in rule.methods:
            continue
        for role in [None, *ROLES]:
            for label, path, inside in cases(world, rule, role):
                response = world.clients[role].get(path)
                want, got = expect(world, rule, role, inside), verdict(response)
                if want != got:
                    wrong.append(
                        f"GET {path} ({rule.endpoint}, {label}) as {role or 'anonymous'}: {got}, expected {want}"
                    )
    assert not wrong, "\n".join(wrong)


def test_every_post_route_refuses_who_it_must(world):
    wrong = []
    for rule in rules(world.app):
        if "POST" not in rule.methods or world.app.view_functions[rule.endpoint].permission == PUBLIC:
            continue
        for role in [None, *ROLES]:
            for label, path, inside in cases(world, rule, role):
                want = expect(world, rule, role, inside)
                if want == "ok":
                    continue  # would do something: the payload tests' business
                got = verdict(world.clients[role].post(path))
                if want != got:
                    wrong.append(
                        f"POST {path} ({rule.endpoint}, {label}) as {role or 'anonymous'}: {got}, expected {want}"
                    )
    assert not wrong, "\n".join(wrong)


def test_no_page_shows_a_role_a_case_or_vehicle_out_of_its_scope(world):
    """The list pages, maps, widgets and exports have no object argument to refuse: what they show is
    scoped in their query. The out-of-scope case's description and number, the vehicle's plate and its
    notice's number must appear on no page a collector, handler or department head gets."""
    from core.workorders.models import WorkOrder

    with world.app.app_context(), dbmod.db.connection_context():
        out_number = WorkOrder.get(WorkOrder.description == OUT_CASE).number
    markers = [OUT_CASE, out_number, OUT_PLATE, OUT_NOTICE]
    leaks = []
    for role in ("collector", "handler", "dept_head"):
        for rule in rules(world.app):
            if "GET" not in rule.methods:
                continue
            for _label, path, inside in cases(world, rule, role):
                if not inside:
                    continue
                response = world.clients[role].get(path)
                body = readable(response) if response.status_code == 200 else ""
                leaks += [f"{path} ({rule.endpoint}) shows {role} {marker!r}" for marker in markers if marker in body]
    assert not leaks, "\n".join(leaks)
