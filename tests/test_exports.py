"""Background Excel exports (core/exports/) of the case list (core/workorders/export.py): the file holds
exactly the rows, in exactly the order, of /orders/ with the same filters; the scoping of the list; the
callers' personal data only for those who see every case; the file and its progress only for the user
who asked; one export going per user; old exports deleted by the scheduler."""

import dataclasses
import io
import os
import re
import socket
import sys
import threading
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from peewee import IntegrityError

from core.audit import AuditEntry
from core.db import db
from core.exports import jobs, kinds
from core.exports.models import ExportJob, export_dir
from core.workorders import export as case_export
from core.workorders import queries, scope, states
from core.workorders.models import WorkOrder
from tests.support import client_for, finish
from tests.workorder_support import build_city

POLL = {"HX-Request": "true", "HX-Target": "export-progress"}
ROW = re.compile(r'<a href="/orders/\d+">([^<]+)</a>')
T0 = datetime(2026, 11, 2, 8, 0)


@pytest.fixture
def make_app(english_xiuhua_app):
    """These tests read the English headers and messages."""
    return english_xiuhua_app


@pytest.fixture
def city(app, monkeypatch):
    """70 cases over statuses, departments, grids and reporters (as tests/test_workorder_lists.py), some
    from callers; one page of the list holds them all."""
    monkeypatch.setattr(queries, "PAGE_SIZE", 500)
    built = build_city()
    users = built.users
    statuses = ["filed", "dispatched", "suspended", "handling", "returned", "closed", "handled", "suspended"]
    departments = [built.sanitation, built.landscaping, None]
    grids = [built.grid, built.other_grid, None]
    reporters = [users["collector"], users["handler"], users["other_collector"], None]
    with db.connection_context():
        for i in range(70):
            status = statuses[i % len(statuses)]
            WorkOrder.create(
                number=f"2026-{i + 1:06d}",
                source="hotline" if i % 3 == 0 else "collector",
                status=status,
                category=built.category if i % 4 else None,
                grid=grids[i % 3],
                department=departments[i % 5 % 3],
                reporter=reporters[i % 4],
                description="垃圾" if i % 2 else "井盖",
                address=f"岳阳路{i}号",
                caller_name="张三" if i % 3 == 0 else "",
                caller_phone="13800000000" if i % 3 == 0 else "",
                reported_at=T0 - timedelta(hours=(i * 5) % 11),
                due_at=T0 + timedelta(hours=i % 4 - 2),
                stage="handle" if status in states.AT_DEPARTMENT else "",
                stage_started_at=T0 - timedelta(days=1),
                stage_due_at=None if i % 9 == 4 else T0 + timedelta(hours=(i * 7) % 5),
                stage_unit="work_hour",
                suspended_until=T0 + timedelta(days=3) if status == "suspended" else None,
            )
    return built


def export(client, **filters):
    """Export as the list's button does (without htmx: a redirect to the progress page); wait for the
    file and return its sheet's rows, header first."""
    response = client.post("/orders/export", data=filters)
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert re.fullmatch(r"/exports/\d+", location)
    body = finish(client, location)
    assert 'id="export-download"' in body, body
    download = client.get(f"{location}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(download.data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def listed(client, **filters) -> list[str]:
    response = client.get("/orders/", query_string=filters)
    assert response.status_code == 200
    return ROW.findall(response.get_data(as_text=True))


FILTERS = [
    {},
    {"sort": "newest"},
    {"box": "all"},
    {"box": "all", "status": "suspended"},
    {"box": "all", "grid": "430602001", "category": "0101"},
    {"box": "all", "source": "hotline", "sort": "newest"},
    {"box": "all", "q": "井盖"},
    {"box": "department"},
    {"box": "to_dispatch"},
]


@pytest.mark.parametrize("role", ["dispatcher", "handler", "collector"])
def test_the_file_holds_the_rows_of_the_list_in_its_order(app, city, role):
    client = client_for(app, role)
    checked = 0
    for filters in FILTERS:
        rows = export(client, **filters)
        assert rows[0][:3] == ["Number", "Status", "Light"]
        assert [row[0] for row in rows[1:]] == listed(client, **filters), f"{role} {filters}"
        checked += len(rows) - 1
    assert checked > 0


def test_a_sort_the_list_refuses_is_refused_in_the_file_too(app, city):
    """Past ORDER_LIST_SORT_LIMIT cases the list keeps most urgent first instead of an unindexed sort; the
    file, started from that list's filter form, has the rows in the order the page showed."""
    app.config["ORDER_LIST_SORT_LIMIT"] = 2
    client = client_for(app, "dispatcher")
    page = client.get("/orders/", query_string={"box": "all", "sort": "category"}).get_data(as_text=True)
    assert "Sorting by Category is offered for lists of at most 2 cases" in page
    rows = export(client, box="all", sort="category")
    assert [row[0] for row in rows[1:]] == listed(client, box="all") == ROW.findall(page)


def test_a_department_handler_exports_only_their_departments_cases(app, city):
    client = client_for(app, "handler")
    rows = export(client, box="department")
    header, body = rows[0], rows[1:]
    assert body and {row[header.index("Department")] for row in body} == {"环卫处"}
    with app.app_context(), db.connection_context():
        visible = {o.number for o in scope.visible(city.users["handler"])}
        everything = WorkOrder.select().count()
    every_case = {row[0] for row in export(client, box="all")[1:]}
    assert every_case == visible and len(visible) < everything


def test_callers_only_for_those_who_see_every_case(app, city):
    dispatcher = export(client_for(app, "dispatcher"), box="all")
    header = dispatcher[0]
    assert header[-2:] == ["Caller", "Caller's phone"]
    by_number = {row[0]: row for row in dispatcher[1:]}
    assert by_number["2026-000001"][-2:] == ["张三", "13800000000"]
    assert by_number["2026-000001"][header.index("Address")] == "岳阳路0号"
    assert isinstance(by_number["2026-000001"][header.index("Reported")], datetime)

    handler = export(client_for(app, "handler"), box="all")
    assert "Caller" not in handler[0] and "Caller's phone" not in handler[0]
    assert not any("13800000000" in str(cell) for row in handler for cell in row)


def test_only_the_user_who_asked_sees_the_progress_and_the_file(app, city):
    owner = client_for(app, "dispatcher")
    response = owner.post("/orders/export", data={"box": "all"})
    location = response.headers["Location"]
    finish(owner, location)
    assert owner.get(f"{location}/download").status_code == 200
    for role in ("shift_leader", "handler"):
        other = client_for(app, role)
        assert other.get(location).status_code == 404
        assert other.get(location, headers=POLL).status_code == 404
        assert other.get(f"{location}/download").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"{location}/download").status_code in (302, 401)


def test_the_export_is_audited_with_its_filters_and_row_count(app, city):
    rows = export(client_for(app, "dispatcher"), box="all", status="suspended")
    with db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "workorders.export")
    assert entry.actor_name == "dispatcher"
    assert entry.after["status"] == "suspended" and entry.after["box"] == "all"
    assert entry.after["rows"] == len(rows) - 1 and entry.after["callers"] is True


def test_htmx_shows_the_progress_in_place(app, city):
    client = client_for(app, "dispatcher")
    page = client.get("/orders/").get_data(as_text=True)
    assert 'id="export-button"' in page and '<div id="export-progress"></div>' in page
    response = client.post("/orders/export", data={"box": "all"}, headers=POLL)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="export-progress"' in body
    job_id = re.search(r"/exports/(\d+)", body).group(1)
    finish(client, f"/exports/{job_id}")


def test_a_double_submit_starts_one_export(app, city, monkeypatch):
    """The second click, while the first export is still being written, shows that export."""
    release = threading.Event()
    with app.app_context():
        registered = kinds.kinds()
    real = registered["orders"]

    def held(user, params):
        assert release.wait(30)
        return real.sheets(user, params)

    monkeypatch.setattr(jobs, "kinds", lambda: {**registered, "orders": dataclasses.replace(real, sheets=held)})
    client = client_for(app, "dispatcher")
    first = client.post("/orders/export", data={"box": "all"})
    second = client.post("/orders/export", data={"box": "all", "status": "closed"})
    assert first.headers["Location"] == second.headers["Location"]
    with db.connection_context():
        assert ExportJob.select().count() == 1
        assert AuditEntry.select().where(AuditEntry.action == "workorders.export").count() == 1
    assert 'hx-trigger="every 1s"' in client.get("/orders/").get_data(as_text=True)  # the list shows it going
    release.set()
    finish(client, first.headers["Location"])
    third = client.post("/orders/export", data={"box": "all"})  # once finished, a new one may start
    assert third.headers["Location"] != first.headers["Location"]
    finish(client, third.headers["Location"])


def test_the_database_refuses_a_second_export_going_for_the_same_user(app, city):
    with db.connection_context():
        user = city.users["dispatcher"]
        ExportJob.create(user=user, kind="orders", going_user=user.id)
        with pytest.raises(IntegrityError), db.atomic():
            ExportJob.create(user=user, kind="orders", going_user=user.id)
        ExportJob.create(user=user, kind="orders", going_user=None)  # ended ones do not count


def test_a_list_too_long_is_refused_with_a_message(app, city, monkeypatch):
    monkeypatch.setattr(case_export, "MAX_ROWS", 9)
    client = client_for(app, "dispatcher")
    response = client.post("/orders/export", data={"box": "all"})
    assert response.status_code == 422
    assert "too many for one file" in response.get_data(as_text=True)
    with db.connection_context():
        assert ExportJob.select().count() == 0
    exactly = client.post("/orders/export", data={"box": "all", "q": "2026-00000"})  # 2026-000001 to 9
    assert exactly.status_code == 303
    finish(client, exactly.headers["Location"])


def test_an_export_left_going_by_a_dead_process_is_closed(app, city):
    with db.connection_context():
        user = city.users["dispatcher"]
        # a process of this host that no longer exists
        ExportJob.create(user=user, kind="orders", runner=f"{socket.gethostname()}:999999999", going_user=user.id)
    client = client_for(app, "dispatcher")
    response = client.post("/orders/export", data={"box": "all"})
    with db.connection_context():
        stale = ExportJob.get_by_id(1)
        assert (stale.status, stale.going_user) == ("interrupted", None)
    finish(client, response.headers["Location"])


def test_the_scheduler_deletes_old_exports(app, city, frozen_clock, run_job):
    client = client_for(app, "dispatcher")
    old = client.post("/orders/export", data={"box": "all"}).headers["Location"]
    finish(client, old)
    frozen_clock.advance(timedelta(days=5))
    client = client_for(app, "dispatcher")
    recent = client.post("/orders/export", data={"box": "all"}).headers["Location"]
    finish(client, recent)
    with app.app_context(), db.connection_context():
        old_job, recent_job = ExportJob.select().order_by(ExportJob.id)
        assert old_job.path.is_file() and recent_job.path.is_file()
        assert old_job.path.parent == export_dir() and str(old_job.path).startswith(app.instance_path)
    frozen_clock.advance(timedelta(days=3))  # 8 days after the first, 3 after the second: keep 7
    run = run_job("exports.prune")
    assert run.outcome == "success", run.error
    with app.app_context(), db.connection_context():
        assert [job.id for job in ExportJob.select()] == [recent_job.id]
        assert not old_job.path.exists() and recent_job.path.is_file()


def test_text_starting_with_an_equals_sign_stays_text(app, city):
    with db.connection_context():
        WorkOrder.update(description='=HYPERLINK("http://evil.example","click")').where(
            WorkOrder.number == "2026-000001"
        ).execute()
    client = client_for(app, "dispatcher")
    location = client.post("/orders/export", data={"box": "all", "q": "2026-000001"}).headers["Location"]
    finish(client, location)
    book = load_workbook(io.BytesIO(client.get(f"{location}/download").data))
    sheet = book.worksheets[0]
    column = [cell.value for cell in sheet[1]].index("Description")
    cell = sheet.cell(row=2, column=column + 1)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b


def test_two_simultaneous_clicks_start_one_export(app, city, monkeypatch):
    """Two requests at once (two tabs, or a double click without htmx): the database's unique slot lets
    one of them start the export; the other answers with it."""
    release = threading.Event()
    with app.app_context():
        registered = kinds.kinds()
    real = registered["orders"]

    def held(user, params):
        assert release.wait(30)
        return real.sheets(user, params)

    monkeypatch.setattr(jobs, "kinds", lambda: {**registered, "orders": dataclasses.replace(real, sheets=held)})
    clients = [client_for(app, "dispatcher"), client_for(app, "dispatcher")]
    barrier = threading.Barrier(2)
    locations = [None, None]

    def click(index):
        barrier.wait(10)
        locations[index] = clients[index].post("/orders/export", data={"box": "all"}).headers["Location"]

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert locations[0] is not None and locations[0] == locations[1]
    with db.connection_context():
        assert ExportJob.select().count() == 1
    release.set()
    finish(clients[0], locations[0])


def test_the_export_finishes_while_another_thread_commits_reports(app, city, monkeypatch):
    """The export reads in short pages and writes its progress between them: reports committed by
    another connection while it runs (one before every row here) never meet a read snapshot it holds
    (on SQLite: SQLITE_BUSY_SNAPSHOT, "database is locked"). Every row of the list is in the file."""
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 3)
    monkeypatch.setattr(kinds, "PAGE_ROWS", 7)
    asked, committed, stop = threading.Semaphore(0), threading.Semaphore(0), threading.Event()
    reports = []

    def reporter():
        with app.app_context(), db.connection_context():
            while True:
                asked.acquire()
                if stop.is_set():
                    return
                try:
                    with db.atomic():
                        order = WorkOrder.create(
                            number=f"2027-{len(reports) + 1:06d}", source="collector", status="filed", reported_at=T0
                        )
                    reports.append(order.id)
                finally:
                    committed.release()

    real_overdue = case_export.overdue

    def overdue_after_a_commit(order, now):
        if threading.current_thread().name.startswith("export-"):
            asked.release()
            assert committed.acquire(timeout=30)
        return real_overdue(order, now)

    monkeypatch.setattr(case_export, "overdue", overdue_after_a_commit)
    worker = threading.Thread(target=reporter)
    worker.start()
    try:
        client = client_for(app, "dispatcher")
        expected = listed(client, box="all")
        rows = export(client, box="all")
    finally:
        stop.set()
        asked.release()
        worker.join(30)
    assert [row[0] for row in rows[1:]] == expected and len(expected) == 70
    assert len(reports) == 70  # one commit before each row
    with db.connection_context():
        job = ExportJob.get()
        assert (job.status, job.done, job.total, job.going_user) == ("done", 70, 70, None)
        assert job.heartbeat_at is not None


def test_an_export_whose_thread_died_is_failed_at_once_and_does_not_block_a_new_one(app, city):
    """Its row says running, its process is this one and alive, but no thread writes it: a worker that
    died without recording its end (say, the database refused every write)."""
    with db.connection_context():
        user = city.users["dispatcher"]
        dead = ExportJob.create(user=user, kind="orders", runner=socket.gethostname() + ":" + str(os.getpid()),
                                going_user=user.id)  # fmt: skip
    client = client_for(app, "dispatcher")
    body = client.get(f"/exports/{dead.id}", headers=POLL).get_data(as_text=True)
    assert 'data-status="failed"' in body and "Export again." in body and "every 1s" not in body
    response = client.post("/orders/export", data={"box": "all"})
    assert response.headers["Location"] != f"/exports/{dead.id}"
    finish(client, response.headers["Location"])
    with db.connection_context():
        assert ExportJob.get_by_id(dead.id).going_user is None


def test_an_export_on_another_host_silent_for_too_long_is_taken_for_dead(app, city):
    with db.connection_context():
        user = city.users["dispatcher"]
        silent = ExportJob.create(
            user=user,
            kind="orders",
            runner="another-host:12",
            started_at=datetime.now() - jobs.HEARTBEAT_LIMIT * 3,
            heartbeat_at=datetime.now() - jobs.HEARTBEAT_LIMIT - timedelta(seconds=5),
            going_user=user.id,
        )
    client = client_for(app, "dispatcher")
    response = client.post("/orders/export", data={"box": "all"})
    assert response.headers["Location"] != f"/exports/{silent.id}"
    finish(client, response.headers["Location"])
    with db.connection_context():
        assert ExportJob.get_by_id(silent.id).status == "interrupted"


def test_a_page_read_by_one_prebuilt_statement_gives_what_peewee_gives(app, city):
    """`kinds.by_ids` builds the page's statement once and converts values itself: the same named
    tuples, values and types as peewee's `.namedtuples()`, for any page of ids (duplicates, unknown ids,
    a short last page), none left out."""
    from peewee import JOIN

    from core.areas import Area
    from core.components.export import _select
    from core.components.models import Component

    with app.app_context():
        plugin = sys.modules[kinds.kinds()["zombie_cars"].sheets.__module__]  # as the plugin loader imported it
    Vehicle = plugin.Vehicle

    with db.connection_context():
        ids = [row.id for row in WorkOrder.select(WorkOrder.id)]
        read = kinds.by_ids(lambda page: queries.rows_with_names(case_export.FIELDS, page))
        for page in (ids, ids[:3] + ids[:1] + [10**9], ids[-1:]):
            expected = sorted(queries.rows_with_names(case_export.FIELDS, page), key=lambda row: row.id)
            got = sorted(read(page), key=lambda row: row.id)
            assert got == expected
            assert [type(value) for row in got for value in row] == [type(value) for row in expected for value in row]
        assert any(isinstance(value, datetime) for value in got[0])
        grid = city.grid
        Component.create(code="4306020101000001", name="井盖", category=city.category, status="intact",
                         longitude=113.1, latitude=29.3, grid=grid, survey_date="2026-11-02")  # fmt: skip
        Vehicle.create(plate="湘F00001", grid=grid, dusty=True, reported_at=T0)
        component = kinds.by_ids(_select)([c.id for c in Component.select()])
        assert component == list(_select([c.id for c in Component.select()]).namedtuples())
        vehicles = Vehicle.select(*plugin.FIELDS).join(Area, JOIN.LEFT_OUTER)
        read = kinds.by_ids(lambda page: vehicles.where(Vehicle.id.in_(page)))
        assert read([v.id for v in Vehicle.select()]) == list(vehicles.namedtuples())
        assert read([v.id for v in Vehicle.select()])[0].dusty is True
