"""The case lists pick a page's ids first, count and read suspended cases as a part of their own, and
skip the scope clause the department box implies. They must show exactly the rows, in exactly the order,
and the count of the straightforward query they replaced: every box of every role, every sort, the
filters, on every page (a page size of 4 puts page edges inside and between the parts)."""

import math
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from peewee import JOIN, Case

from core import clock
from core.areas import Area
from core.catalogue.models import Category
from core.db import db
from core.org import Department
from core.workorders import clocks, queries, scope, states
from core.workorders.models import WorkOrder
from tests.support import login
from tests.workorder_support import build_city

PAGE = 4
ROW = re.compile(r'<a href="/orders/(\d+)">')
TOTAL = re.compile(r'<p class="muted">\D*(\d+)')
T0 = datetime(2026, 11, 2, 8, 0)


@pytest.fixture
def city(app, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", PAGE)
    built = build_city()
    users = built.users
    # Statuses in turn over departments, grids and reporters; deadlines with ties and gaps (None), so
    # that the order by deadline, then id, is tested where it is not obvious.
    statuses = ["filed", "dispatched", "suspended", "handling", "returned", "closed", "handled", "suspended"]
    departments = [built.sanitation, built.landscaping, None]
    grids = [built.grid, built.other_grid, None]
    reporters = [users["collector"], users["handler"], users["other_collector"], None]
    with db.connection_context():
        for i in range(70):
            status = statuses[i % len(statuses)]
            due = None if i % 9 == 4 else T0 + timedelta(hours=(i * 7) % 5)
            WorkOrder.create(
                number=f"2026-{i + 1:06d}",
                source="hotline" if i % 3 == 0 else "collector",
                status=status,
                category=built.category if i % 4 else None,
                grid=grids[i % 3],
                department=departments[i % 5 % 3],
                reporter=reporters[i % 4],
                description="垃圾" if i % 2 else "井盖",
                reported_at=T0 - timedelta(hours=(i * 5) % 11),
                stage="handle" if status in states.AT_DEPARTMENT else "",
                stage_started_at=T0 - timedelta(days=1),
                stage_due_at=due,
                stage_warn_at=None if due is None or i % 11 == 3 else due - timedelta(hours=1 + i % 3),
                stage_unit="work_hour",
                suspended_until=T0 + timedelta(days=3) if status == "suspended" else None,
                extension_requested=status == "handling" and i % 2 == 0,
            )
    return built


def old_list(user, box, args) -> list[int]:
    """The inbox's query before ids-first paging, word for word."""
    _label, which, _permission = queries.boxes()[box]
    query = scope.visible(user)
    if which == "approvals":
        query = query.where(
            WorkOrder.status.in_(list(states.AT_DEPARTMENT))
            & ((WorkOrder.extension_requested == True) | WorkOrder.suspension_requested_until.is_null(False))
        )
    elif which is not None:
        query = query.where(WorkOrder.status.in_(list(which)))
    if box == "department" and user.department_id:
        query = query.where(WorkOrder.department == user.department_id)
    if box == "assigned":
        query = query.where(WorkOrder.assignee == user.id)
    if args.get("status"):
        query = query.where(WorkOrder.status == args["status"])
    if args.get("source"):
        query = query.where(WorkOrder.source == args["source"])
    if args.get("grid"):
        grid = args["grid"]
        query = query.where(
            WorkOrder.grid.in_(Area.select(Area.id).where(Area.code.startswith(grid) | Area.name.contains(grid)))
        )
    if args.get("category"):
        category = args["category"]
        query = query.where(
            WorkOrder.category.in_(
                Category.select(Category.id).where(
                    Category.code.startswith(category) | Category.name.contains(category)
                )
            )
        )
    if args.get("q"):
        q = args["q"]
        query = query.where(
            WorkOrder.number.contains(q)
            | WorkOrder.description.contains(q)
            | WorkOrder.address.contains(q)
            | (WorkOrder.tracking_code == q.upper())
        )
    if args.get("sort") == "newest":
        query = query.order_by(WorkOrder.reported_at.desc(), WorkOrder.id.desc())
    elif args.get("sort") == "light":
        now = clock.now()
        paused = Case(None, [(WorkOrder.status == "suspended", 1)], 0)
        tier = Case(
            None,
            [
                (WorkOrder.stage_due_at < now, 0),
                ((WorkOrder.stage_due_at >= now) & (WorkOrder.stage_warn_at <= now), 1),
            ],
            2,
        )
        query = query.order_by(paused, tier, WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id)
    else:
        paused = Case(None, [(WorkOrder.status == "suspended", 1)], 0)
        query = query.order_by(paused, WorkOrder.stage_due_at.asc(nulls="LAST"), WorkOrder.id)
    return [order.id for order in query]


FILTERS = [
    {},
    {"sort": "newest"},
    {"status": "suspended"},
    {"status": "dispatched"},
    {"status": "closed"},
    {"grid": "430602001001"},
    {"grid": "430602001", "category": "0101", "status": "handling"},
    {"category": "暴露"},
    {"source": "hotline"},
    {"q": "井盖"},
    {"q": "2026-00001", "sort": "newest"},
    {"source": "collector", "grid": "滨湖", "sort": "newest"},
    {"sort": "light"},
    {"sort": "light", "status": "suspended"},
    {"sort": "light", "grid": "430602001001"},
]
NOW = T0 + timedelta(hours=2)  # some deadlines before, some after; some clocks yellow, some green


@pytest.mark.parametrize("role", ["dispatcher", "handler", "other_handler", "collector", "dept_head", "leader"])
def test_every_page_shows_the_rows_of_the_old_query_in_its_order(app, city, role):
    client = app.test_client()
    assert login(client, role).status_code == 302
    user = city.users[role]
    checked = 0
    with app.test_request_context(), db.connection_context():
        boxes = queries.my_boxes(user)
    for box in boxes:
        for args in FILTERS:
            with app.test_request_context(), db.connection_context(), clock.frozen(NOW):
                expected = old_list(user, box, args)
            pages = max((len(expected) + PAGE - 1) // PAGE, 1)
            for page_no in range(1, pages + 2):  # and one past the end: empty
                with clock.frozen(NOW):
                    response = client.get("/orders/", query_string={"box": box, "page": page_no, **args})
                assert response.status_code == 200
                html = response.get_data(as_text=True)
                shown = [int(i) for i in ROW.findall(html)]
                where = f"{role} box={box} {args} page {page_no}"
                assert shown == expected[(page_no - 1) * PAGE : page_no * PAGE], where
                assert int(TOTAL.search(html).group(1)) == len(expected), where
                checked += len(shown)
    assert checked > 0


def test_the_lists_mix_suspended_and_running_cases_across_a_page_edge(app, city):
    """The parts join mid-page: the data gives the department box of the handler running cases followed
    by suspended ones on the same page, which the test above then checks."""
    with app.test_request_context(), db.connection_context():
        ids = old_list(city.users["handler"], "department", {})
        statuses = [WorkOrder.get_by_id(i).status for i in ids]
    first_suspended = statuses.index("suspended")
    assert first_suspended % PAGE != 0 and "suspended" not in statuses[:first_suspended]
    assert set(statuses[first_suspended:]) == {"suspended"}


def test_the_department_box_keeps_the_reporters_own_cases_elsewhere_out(app, city):
    """The department box drops visible()'s scope clause: the handler's own reports at another department
    are still visible to them (All open) but not in the department box."""
    with app.test_request_context(), db.connection_context():
        handler = city.users["handler"]
        own_elsewhere = (
            WorkOrder.select()
            .where(
                (WorkOrder.reporter == handler.id)
                & (WorkOrder.department != handler.department_id)
                & WorkOrder.status.in_(["dispatched", "handling", "suspended"])
            )
            .count()
        )
        assert own_elsewhere > 0
        department = old_list(handler, "department", {})
        visible_open = old_list(handler, "open", {})
    assert department and all(i in visible_open for i in department)
    client = app.test_client()
    login(client, "handler")
    html = client.get("/orders/", query_string={"box": "department"}).get_data(as_text=True)
    assert int(TOTAL.search(html).group(1)) == len(department)


NEXT = re.compile(r'<nav class="pager">.*?<a href="([^"]+)">Next</a>', re.S)


@pytest.mark.parametrize("role", ["dispatcher", "handler"])
def test_a_capped_count_says_more_than_and_the_pager_still_reaches_every_row(app, city, role):
    """With the count limited (ORDER_LIST_COUNT_LIMIT, 6 here with pages of 4), a list of more cases says
    "More than N cases" and "Page n of more than m"; following "Next" from the first page shows every row
    of the old query once, in order; a list within the limit keeps its exact count."""
    app.config["ORDER_LIST_COUNT_LIMIT"] = 6
    client = app.test_client()
    assert login(client, role).status_code == 302
    client.post("/lang", data={"lang": "en"})
    user = city.users[role]
    capped = exact = 0
    with app.test_request_context(), db.connection_context():
        boxes = queries.my_boxes(user)
    for box in boxes:
        for args in FILTERS:
            with app.test_request_context(), db.connection_context():
                expected = old_list(user, box, args)
            shown, page_no, url = [], 1, None
            response = client.get("/orders/", query_string={"box": box, **args})
            while True:
                html = response.get_data(as_text=True)
                assert response.status_code == 200
                rows = [int(i) for i in ROW.findall(html)]
                where = f"{role} box={box} {args} page {page_no}"
                assert rows == expected[(page_no - 1) * PAGE : page_no * PAGE], where
                shown += rows
                counted = max(6, page_no * PAGE)  # what the page counts up to
                if len(expected) > counted:
                    capped += 1
                    assert f"More than {counted:,} cases" in html, where
                    assert f"Page {page_no} of more than {counted // PAGE}" in html, where
                else:
                    exact += 1
                    assert "More than" not in html, where
                    assert int(TOTAL.search(html).group(1)) == len(expected), where
                found = NEXT.search(html)
                assert bool(found) == (len(expected) > page_no * PAGE), where
                if not found:
                    break
                url = found.group(1).replace("&amp;", "&")
                page_no += 1
                response = client.get(url)
            assert shown == expected, f"{role} box={box} {args}"
    assert capped > 0 and exact > 0


# --- column sorts (issue 11) -------------------------------------------------------------------------

SORT_USERS = ["dispatcher", "handler"]


def _sort_key_rows(ids):
    """What each column sorts on, per case: (value or None, id)."""
    orders = {
        o.id: o
        for o in WorkOrder.select(WorkOrder, Category, Area)
        .join_from(WorkOrder, Category, JOIN.LEFT_OUTER)
        .join_from(WorkOrder, Area, JOIN.LEFT_OUTER)
        .where(WorkOrder.id.in_(ids))
    }
    names = {d.id: d.name for d in Department.select()}
    return {
        order_id: {
            "number": o.number,
            "category": None if o.category_id is None else (o.category.code, o.category.name),
            "description": o.description,
            "address": o.address,
            "source": o.source,
            "grid": None if o.grid_id is None else o.grid.code,
            "department": names.get(o.department_id),
            "time_left": o.stage_due_at,
            "elapsed": o.reported_at,
            "status": (list(states.STATUSES).index(o.status), o.stage_due_at),
        }
        for order_id, o in orders.items()
    }


def expected_order(ids, column, descending):
    """The column sort as the brief states it: by the column, cases without a value last, the id breaking
    ties; "elapsed" ascending is the newest first; "status" in workflow order, most urgent first within."""
    values = _sort_key_rows(ids)
    if column == "status":

        def key(i):
            rank, due = values[i]["status"]
            return (-rank if descending else rank, due is None, due or T0, i)

        return sorted(ids, key=key)
    reverse = descending != (column == "elapsed")
    present = sorted((i for i in ids if values[i][column] is not None), key=lambda i: (values[i][column], i))
    missing = sorted(i for i in ids if values[i][column] is None)
    if reverse:
        present.reverse()
        missing.reverse()
    return present + missing


@pytest.fixture
def varied(city):
    """Addresses and descriptions that differ, with ties, so that every text column has an order to show."""
    with db.connection_context():
        for order in WorkOrder.select():
            WorkOrder.update(
                address=f"洞庭路{order.id * 7 % 5}号", description=f"{'井盖' if order.id % 3 else '垃圾'}{order.id % 4}"
            ).where(WorkOrder.id == order.id).execute()
    return city


@pytest.mark.parametrize("role", SORT_USERS)
def test_every_column_sorts_both_ways_across_pages(app, varied, role):
    client = app.test_client()
    assert login(client, role).status_code == 302
    user = varied.users[role]
    with app.test_request_context(), db.connection_context():
        boxes = [box for box in queries.my_boxes(user) if box in ("to_dispatch", "approvals", "department", "all")]
    for box in boxes:
        for args in ({}, {"source": "hotline"}):
            with app.test_request_context(), db.connection_context(), clock.frozen(NOW):
                ids = old_list(user, box, args)
                expected = {
                    (column, descending): expected_order(ids, column, descending)
                    for column in queries.COLUMNS
                    for descending in (False, True)
                }
            for (column, descending), order in expected.items():
                sort = ("-" if descending else "") + column
                for page_no in range(1, (len(order) + PAGE - 1) // PAGE + 2):
                    with clock.frozen(NOW):
                        response = client.get(
                            "/orders/", query_string={"box": box, "page": page_no, "sort": sort, **args}
                        )
                    assert response.status_code == 200
                    html = response.get_data(as_text=True)
                    shown = [int(i) for i in ROW.findall(html)]
                    assert shown == order[(page_no - 1) * PAGE : page_no * PAGE], (
                        f"{role} {box} {args} {sort} p{page_no}"
                    )


def test_the_header_shows_the_sort_and_links_to_the_reverse(app, varied):
    client = app.test_client()
    login(client, "dispatcher")
    html = client.get("/orders/", query_string={"box": "all", "sort": "address", "q": "洞庭"}).get_data(as_text=True)
    head = re.search(r'<th aria-sort="ascending"><a class="sort" href="([^"]+)">', html)
    assert head and "sort=-address" in head.group(1) and "q=" in head.group(1) and "page" not in head.group(1)
    assert html.count("aria-sort=") == 1
    html = client.get("/orders/", query_string={"box": "all", "sort": "-address"}).get_data(as_text=True)
    assert re.search(r'<th aria-sort="descending"><a class="sort" href="[^"]*sort=address', html)
    # the filter form keeps the column sort, so that changing a filter does not lose it
    assert '<option value="-address" selected>' in html


@pytest.mark.parametrize("sort", ["bogus", "-", "--number", "number;drop table", "x" * 5000, "-near", "Number"])
def test_an_unknown_sort_is_ignored(app, city, sort):
    client = app.test_client()
    login(client, "dispatcher")
    plain = client.get("/orders/", query_string={"box": "all"}).get_data(as_text=True)
    response = client.get("/orders/", query_string={"box": "all", "sort": sort})
    assert response.status_code == 200
    assert ROW.findall(response.get_data(as_text=True)) == ROW.findall(plain)


def test_an_unindexed_sort_of_a_long_list_is_refused_with_a_note(app, varied):
    """Sorting by a column without an index makes the database sort the whole list: past
    ORDER_LIST_SORT_LIMIT cases the list stays most urgent first and says why; indexed sorts still apply."""
    app.config["ORDER_LIST_SORT_LIMIT"] = 10
    client = app.test_client()
    login(client, "dispatcher")
    client.post("/lang", data={"lang": "en"})
    with app.test_request_context(), db.connection_context(), clock.frozen(NOW):
        user = varied.users["dispatcher"]
        ids = old_list(user, "all", {})
        default = old_list(user, "all", {})[:PAGE]
        by_number = expected_order(ids, "number", True)[:PAGE]
        few = old_list(user, "all", {"status": "returned"})
    assert len(ids) > 10 >= len(few)
    with clock.frozen(NOW):
        html = client.get("/orders/", query_string={"box": "all", "sort": "category"}).get_data(as_text=True)
        assert "Sorting by Category is offered for lists of at most 10 cases" in html
        assert [int(i) for i in ROW.findall(html)] == default and "aria-sort" not in html
        html = client.get("/orders/", query_string={"box": "all", "sort": "-number"}).get_data(as_text=True)
        assert [int(i) for i in ROW.findall(html)] == by_number and "Sorting by" not in html
        html = client.get("/orders/", query_string={"box": "all", "status": "returned", "sort": "address"}).get_data(
            as_text=True
        )
    assert "Sorting by" not in html and 'aria-sort="ascending"' in html
    # the department box is read through its department index: number and elapsed come under the limit
    handler = app.test_client()
    login(handler, "handler")
    handler.post("/lang", data={"lang": "en"})
    with app.test_request_context(), db.connection_context():
        assert len(old_list(varied.users["handler"], "department", {})) > 10
    with clock.frozen(NOW):
        html = handler.get("/orders/", query_string={"box": "department", "sort": "-number"}).get_data(as_text=True)
        assert "Sorting by Number is offered" in html
        html = handler.get("/orders/", query_string={"box": "department", "sort": "time_left"}).get_data(as_text=True)
        assert "Sorting by" not in html and 'aria-sort="ascending"' in html


def test_time_left_and_elapsed_read_in_the_stage_unit(app, city):
    """Time left in the stage's own unit, overdue as a negative ("overdue 2 working h", 超时 2工作时), and the
    time since the report."""
    with app.test_request_context(), force_locale("en"), db.connection_context():
        clocks_ = clocks.ListClocks(datetime(2026, 11, 3, 10, 0))  # a Tuesday, working periods 08–12, 14–18
        order = WorkOrder(
            status="handling", stage_due_at=datetime(2026, 11, 3, 8, 0), stage_unit="work_hour",
            reported_at=datetime(2026, 11, 1, 9, 30),
        )  # fmt: skip
        assert clocks_.left(order) == "overdue 2 working h"
        assert clocks_.elapsed(order) == "2 d 0 h"
        order.stage_due_at = datetime(2026, 11, 3, 16, 0)  # 10–12 and 14–16: 4 working hours
        assert clocks_.left(order) == "4 working h left"
        order.stage_due_at, order.stage_unit = datetime(2026, 11, 6, 10, 0), "work_day"
        assert clocks_.left(order) == "3 working d left"
        order.stage_due_at, order.stage_unit = datetime(2026, 11, 3, 10, 20), "hour"
        assert clocks_.left(order) == "20 min left"
        order.status = "closed"
        assert clocks_.left(order) == "—"


@pytest.mark.parametrize("role", ["dispatcher", "collector", "handler"])
def test_nearest_first_sorts_by_distance_with_cases_without_a_location_last(app, city, role):
    """The phone's cards (issue 11): sort=near with near=lat,lon orders by distance (ties by id), every
    status mixed, cases without coordinates last; the filters and paging as for any sort."""
    lat, lon = 29.37, 113.13
    with app.test_request_context(), db.connection_context():
        for order in WorkOrder.select():
            if order.id % 5 == 0:
                continue  # no location
            # distances repeat (ties), and some cases are north, some east, some south-west
            step = Decimal(order.id % 7) / 1000
            order.latitude = Decimal(lat) + (step if order.id % 2 else -step)
            order.longitude = Decimal(lon) + (step if order.id % 3 else -step)
            order.save()
        rows = {o.id: o for o in WorkOrder.select()}
    user = city.users[role]

    def key(order_id):
        o = rows[order_id]
        if o.latitude is None:
            return (1, 0, order_id)
        dy, dx = float(o.latitude) - lat, (float(o.longitude) - lon) * math.cos(math.radians(lat))
        return (0, round(dy * dy + dx * dx, 12), order_id)

    client = app.test_client()
    assert login(client, role).status_code == 302
    for args in ({}, {"grid": "430602001001"}, {"status": "suspended"}):
        with app.test_request_context(), db.connection_context(), clock.frozen(NOW):
            expected = sorted(old_list(user, "all", args), key=key)
        shown = []
        for page_no in range(1, (len(expected) + PAGE - 1) // PAGE + 1):
            query = {"box": "all", "sort": "near", "near": f"{lat},{lon}", "page": page_no, **args}
            with clock.frozen(NOW):
                html = client.get("/orders/", query_string=query).get_data(as_text=True)
            shown += [int(i) for i in ROW.findall(html)]
        assert shown == expected, args
        if not args and role == "dispatcher":  # the whole city: some cases have no location
            assert rows[expected[0]].latitude is not None and rows[expected[-1]].latitude is None


def test_a_position_that_cannot_be_read_leaves_the_usual_order(app, city):
    client = app.test_client()
    assert login(client, "dispatcher").status_code == 302
    with clock.frozen(NOW):
        usual = ROW.findall(client.get("/orders/?box=all").get_data(as_text=True))
        for near in ("", "abc", "95,113", "29.3,nan", "1,2,3"):
            response = client.get("/orders/", query_string={"box": "all", "sort": "near", "near": near})
            assert response.status_code == 200, near
            assert ROW.findall(response.get_data(as_text=True)) == usual, near
        # a position with another sort: that sort
        newest = client.get("/orders/?box=all&sort=newest").get_data(as_text=True)
        with_near = client.get("/orders/?box=all&sort=newest&near=29.37,113.13").get_data(as_text=True)
        assert ROW.findall(newest) == ROW.findall(with_near)


def test_the_rows_come_as_cards_too(app, city):
    client = app.test_client()
    assert login(client, "dispatcher").status_code == 302
    with clock.frozen(NOW):
        html = client.get("/orders/?box=all").get_data(as_text=True)
    cards = re.findall(r'<li class="order-card" data-number="([^"]+)">', html)
    numbers = re.findall(r'<a href="/orders/\d+">([^<]+)</a>', html)
    assert cards == numbers and len(cards) == PAGE
    assert 'class="time-left"' in html and 'class="distance"' not in html  # no distance without a position
