"""One import of a kind at a time, held by the database (core/background.py `one_at_a_time`): two uploads of
the same kind at the same instant start one import and tell the other to wait; an import that ends (done,
failed, or closed as stale) frees the place. Against the test database: a SQLite file by default, or
PostgreSQL when XIUHUA_TEST_DATABASE_URL names one."""

import importlib
import io
import json
import socket
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from core import background, clock
from core.catalogue.models import CatalogueImport
from core.components.models import ComponentImport
from core.db import db
from core.grids.models import GridImport
from core.scheduler import this_runner

DATA = Path(__file__).resolve().parents[1] / "data"
WAIT = "Another import is running; wait for it to finish."


def _grid_file() -> bytes:
    ring = [[113.13, 29.37], [113.131, 29.37], [113.131, 29.371], [113.13, 29.371], [113.13, 29.37]]
    feature = {
        "type": "Feature",
        "properties": {"code": "430602001001001", "name": "1"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


@dataclass
class Kind:
    page: str
    model: type
    importer: str  # the module, and its function that reads a whole upload
    reader: str
    data: bytes  # a file it accepts
    form: dict  # the other fields of the form
    row: dict  # what a row of its model needs besides the ImportJob fields


KINDS = {
    "catalogue": Kind(
        "/catalogue/import",
        CatalogueImport,
        "core.catalogue.importer",
        "read_table",
        (DATA / "catalogue" / "catalogue-gbt47678.5-2026.csv").read_bytes(),
        {"dry_run": "y"},
        {},
    ),
    "grids": Kind(
        "/grids/import",
        GridImport,
        "core.grids.importer",
        "read_features",
        _grid_file(),
        {"crs": "wgs84"},
        {"crs": "wgs84", "valid_from": date(2026, 1, 1)},
    ),
    "components": Kind(
        "/components/import",
        ComponentImport,
        "core.components.census",
        "read_table",
        (DATA / "components" / "sample.csv").read_bytes(),
        {"crs": "wgs84", "dry_run": "y"},
        {},
    ),
}


def english_admin(as_role):
    client = as_role("admin")
    client.post("/lang", data={"lang": "en"})  # these tests read the messages
    return client


def upload(client, kind):
    form = {"file": (io.BytesIO(KINDS[kind].data), "upload"), **KINDS[kind].form}
    return client.post(KINDS[kind].page, data=form, content_type="multipart/form-data")


def wait_for_imports():
    """Join the import threads (their outcome is not what these tests look at)."""
    for thread in threading.enumerate():
        if thread.name.startswith(("catalogue_import-", "grid_import-", "component_import-")):
            thread.join(30)


def going(model) -> int:
    with db.connection_context():
        return model.select().where(model.status.in_(background.GOING)).count()


@pytest.mark.parametrize("kind", KINDS)
def test_two_uploads_at_the_same_instant_start_one_import(as_role, kind, monkeypatch):
    """Each upload runs in its own thread, with its own client and database connection. Both threads
    meet at a barrier once their file is read and checked, which is the moment the old code looked for a
    going import; from there they claim the place together."""
    model, reader = KINDS[kind].model, KINDS[kind].reader
    importer = importlib.import_module(KINDS[kind].importer)
    real_reader = getattr(importer, reader)
    barrier = threading.Barrier(2, timeout=30)
    answered = threading.Event()

    def read_then_meet(data):
        result = real_reader(data)
        if threading.current_thread().name.startswith("upload-"):
            barrier.wait()
        else:  # the started import's own thread holds its place until both uploads have their answer
            answered.wait(30)
        return result

    monkeypatch.setattr(importer, reader, read_then_meet)
    clients = [english_admin(as_role), english_admin(as_role)]
    answers = [None, None]

    def submit(n):
        try:
            answers[n] = upload(clients[n], kind)
        finally:
            db.close()  # this thread's own connection

    threads = [threading.Thread(target=submit, args=(n,), name=f"upload-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    answered.set()
    assert not barrier.broken
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [303, 409], codes
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert WAIT in refused.get_data(as_text=True)
    with db.connection_context():
        assert model.select().count() == 1  # the refused upload wrote no row
    wait_for_imports()
    assert going(model) == 0


def hold(app, model, release: threading.Event, outcome):
    """Start a job of `model` through core.background whose work waits for `release`, then ends with
    `outcome` (a dict of fields, or an exception to raise)."""

    def work(job, data, user, progress):
        release.wait(30)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with app.app_context(), db.connection_context():
        job = background.start(app, model, b"", "en", work, filename="held.csv")
    return next(t for t in threading.enumerate() if t.name == f"{model._meta.table_name}-{job.id}"), job


@pytest.mark.parametrize(
    "outcome, status",
    [({"status": "done"}, "done"), ({"status": "rejected"}, "rejected"), (RuntimeError("boom"), "failed")],
)
def test_an_import_that_ends_frees_the_place(app, as_role, outcome, status):
    admin = english_admin(as_role)
    release = threading.Event()
    thread, job = hold(app, CatalogueImport, release, outcome)
    refused = upload(admin, "catalogue")
    assert refused.status_code == 409 and WAIT in refused.get_data(as_text=True)
    release.set()
    thread.join(30)
    with db.connection_context():
        assert CatalogueImport.get_by_id(job.id).status == status
    assert upload(admin, "catalogue").status_code == 303
    wait_for_imports()


@pytest.mark.parametrize("kind", KINDS)
def test_an_import_left_going_by_a_dead_process_or_for_too_long_is_closed(as_role, kind):
    admin, model = english_admin(as_role), KINDS[kind].model
    jobs = [
        {"filename": "a", "status": "writing", "runner": f"{socket.gethostname()}:999999999"},
        {"filename": "b", "runner": this_runner(), "started_at": clock.now() - timedelta(hours=2)},
        {"filename": "c", "runner": this_runner()},
    ]
    for fields in jobs:  # one after the other: one going at a time
        with db.connection_context():
            job = model.create(**KINDS[kind].row, **fields)
        polled = "every 1s" in admin.get(f"{KINDS[kind].page}/{job.id}").get_data(as_text=True)
        assert polled is (fields["filename"] == "c")  # only the last one is still going
    with db.connection_context():
        assert [job.status for job in model.select().order_by(model.id)] == ["interrupted"] * 2 + ["running"]


def test_an_import_closed_as_stale_frees_the_place(as_role):
    admin = english_admin(as_role)
    with db.connection_context():
        dead = GridImport.create(**KINDS["grids"].row, filename="a", runner=f"{socket.gethostname()}:999999999")
    assert upload(admin, "grids").status_code == 303
    wait_for_imports()
    with db.connection_context():
        assert GridImport.get_by_id(dead.id).status == "interrupted"
        assert GridImport.select().count() == 2


def test_a_job_closed_as_stale_does_not_take_the_place_back(app, as_role):
    """A job that ran past STALE_AFTER is closed while its thread still works; its progress must not
    make it going again (it would take the place of the import started since)."""
    admin = english_admin(as_role)
    release, seen = threading.Event(), []

    def work(job, data, user, progress):
        release.wait(30)
        progress("database", 1, 1)
        seen.append(ComponentImport.get_by_id(job.id).status)
        return {"status": "done"}

    with app.app_context(), db.connection_context():
        job = background.start(app, ComponentImport, b"", "en", work, filename="old.csv")
        ComponentImport.update(started_at=clock.now() - timedelta(hours=2)).where(
            ComponentImport.id == job.id
        ).execute()
    held = next(t for t in threading.enumerate() if t.name == f"component_import-{job.id}")
    assert upload(admin, "components").status_code == 303  # the stale one is closed, the new one starts
    release.set()
    held.join(30)
    assert seen == ["interrupted"]
    wait_for_imports()


def test_the_migration_closes_the_imports_that_raced_before_it(app):
    """A database from before migration 0012 may hold two going imports of a kind: the newest stays going,
    the others are closed as interrupted, then the index holds."""
    from core.db import migration_sources, runner, upgrade

    component, directory = migration_sources(app)[0]
    with db.connection_context():
        for model in (CatalogueImport, GridImport, ComponentImport):
            db.execute_sql(f'DROP INDEX "{model._meta.table_name}_one_going"')
        history = runner(component, directory).History
        history.delete().where(history.name == "0012_import_guard").execute()
        first, second = (CatalogueImport.create(filename=name, status="writing") for name in ("a.csv", "b.csv"))
        done = CatalogueImport.create(filename="c.csv", status="done")
    assert upgrade(app) == ["core: 0012_import_guard"]
    with db.connection_context():
        statuses = [CatalogueImport.get_by_id(job.id).status for job in (first, second, done)]
        assert statuses == ["interrupted", "writing", "done"]
        assert CatalogueImport.get_by_id(first.id).ended_at is not None
    with pytest.raises(background.AlreadyGoing), app.app_context(), db.connection_context():
        background.start(app, CatalogueImport, b"", "en", lambda *args: {}, filename="d.csv")


def test_every_import_reads_its_status_from_the_one_default(english_app):
    """core.background.ImportJob.STATUSES is every import's; a kind only replaces the labels of its own
    stages (the grids' "warned"), so each status of GOING and every outcome has a translated label."""
    with english_app.test_request_context():
        for kind in KINDS.values():
            statuses = kind.model.STATUSES
            assert set(background.ImportJob.STATUSES) <= set(statuses)
            assert all(str(label) and colour for label, colour in statuses.values())
        assert str(CatalogueImport.STATUSES["writing"][0]) == "Comparing with the database"
        assert str(ComponentImport.STATUSES["done"][0]) == "Imported"
        assert str(GridImport.STATUSES["warned"][0]) == "Warnings were not accepted: nothing was written"
        assert str(GridImport(status="unknown").status_label[0]) == "unknown"
