"""One import of a kind at a time, held by the database (core/background.py `one_at_a_time`): two uploads of
the same kind at the same instant start one import and tell the other to wait; an import that ends (done,
failed, or closed as stale) frees the place. Against the test database: a SQLite file by default, or
PostgreSQL when XIUHUA_TEST_DATABASE_URL names one."""

import io
import json
import socket
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from core import background, clock
from core.catalogue import CatalogueImport
from core.components.models import ComponentImport
from core.db import db
from core.grids import GridImport

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


# kind: (page, model, importer module, its reader, a file it accepts, the other fields of the form)
KINDS = {
    "catalogue": (
        "/catalogue/import",
        CatalogueImport,
        "core.catalogue_import",
        "read_table",
        (DATA / "catalogue" / "catalogue-gbt47678.5-2026.csv").read_bytes(),
        {"dry_run": "y"},
    ),
    "grids": ("/grids/import", GridImport, "core.grids_import", "read_features", _grid_file(), {"crs": "wgs84"}),
    "components": (
        "/components/import",
        ComponentImport,
        "core.components.census",
        "read_table",
        (DATA / "components" / "sample.csv").read_bytes(),
        {"crs": "wgs84", "dry_run": "y"},
    ),
}


@pytest.fixture
def as_role(as_role):
    """Logged-in clients that chose English: these tests read the messages."""

    def make(role):
        client = as_role(role)
        client.post("/lang", data={"lang": "en"})
        return client

    return make


def upload(client, kind):
    page, _model, _importer, _reader, data, fields = KINDS[kind]
    form = {"file": (io.BytesIO(data), "upload"), **fields}
    return client.post(page, data=form, content_type="multipart/form-data")


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
    _page, model, importer_name, reader, _data, _fields = KINDS[kind]
    importer = __import__(importer_name, fromlist=[reader])
    real_reader = getattr(importer, reader)
    barrier = threading.Barrier(2, timeout=30)

    def read_then_meet(data):
        result = real_reader(data)
        if threading.current_thread().name.startswith("upload-"):  # not the import's own thread
            barrier.wait()
        return result

    monkeypatch.setattr(importer, reader, read_then_meet)
    clients = [as_role("admin"), as_role("admin")]
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
    admin = as_role("admin")
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


def test_an_import_closed_as_stale_frees_the_place(as_role):
    admin = as_role("admin")
    with db.connection_context():
        dead = GridImport.create(
            filename="a", crs="wgs84", valid_from=clock.now().date(), runner=f"{socket.gethostname()}:999999999"
        )
    assert upload(admin, "grids").status_code == 303
    wait_for_imports()
    with db.connection_context():
        assert GridImport.get_by_id(dead.id).status == "interrupted"
        assert GridImport.select().count() == 2


def test_a_job_closed_as_stale_does_not_take_the_place_back(app, as_role):
    """A job that ran past STALE_AFTER is closed while its thread still works; its progress must not
    make it going again (it would take the place of the import started since)."""
    admin = as_role("admin")
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
