"""core.attachments: one table of attached photos, one guarded route, and migration 0030 that moved the
cases' photos (work_order_photo) into it."""

import importlib.util
import io
from datetime import date
from pathlib import Path

from playhouse.migrate import SchemaMigrator

from core import photos
from core.attachments.models import Attachment
from core.attachments.service import attach, attachments_of
from core.db import db
from core.workorders.models import WorkOrderEvent
from tests.support import client_for, in_db
from tests.workorder_support import jpeg, report

ROOT = Path(__file__).resolve().parent.parent


def load_migration(path):
    spec = importlib.util.spec_from_file_location("migration_under_test", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_case_photo_is_served_to_who_sees_the_case_and_refused_with_404_to_others(app, city):
    order = in_db(app, lambda: report(city))
    link = in_db(app, lambda: attachments_of("workorder", order.id, stage="report")[0])
    url = f"/attachments/{link.id}/thumb"
    assert client_for(app, "collector").get(url).status_code == 200
    assert client_for(app, "dispatcher").get(url).status_code == 200
    assert client_for(app, "other_collector").get(url).status_code == 404


def test_an_attachment_of_a_kind_no_enabled_plugin_registers_is_404(app, city):
    def build():
        photo = photos.store(io.BytesIO(jpeg("red")), "p.jpg", city.users["collector"])
        return Attachment.create(subject_kind="gone.thing", subject_id=1, photo=photo)

    link = in_db(app, build)
    assert client_for(app, "admin").get(f"/attachments/{link.id}/thumb").status_code == 404
    assert client_for(app, "admin").get("/attachments/999999/thumb").status_code == 404


def test_attaching_the_same_photo_twice_keeps_one_row_with_or_without_a_stage(app, city):
    def build():
        photo = photos.store(io.BytesIO(jpeg("teal")), "p.jpg", city.users["collector"])
        for stage in (None, None, "x", "x"):
            attach("demo.thing", 7, photo, stage=stage, by=city.users["collector"])
        return [(a.stage, a.added_by_id) for a in attachments_of("demo.thing", 7)]

    assert in_db(app, build) == [(None, city.users["collector"].id), ("x", city.users["collector"].id)]


def test_migration_0030_moves_the_case_photos_with_stage_event_and_adder(app, city):
    from core.evaluation.models import Deduction

    order = in_db(app, lambda: report(city))
    deduction = in_db(app, lambda: Deduction.create(
        level="department", object_key="1", day=date(2026, 10, 20), points=1, reason="x",
        author=city.users["evaluator"],
    ))  # fmt: skip
    evidence = in_db(app, lambda: photos.store(io.BytesIO(jpeg("maroon")), "p.jpg", city.users["evaluator"]))
    in_db(app, lambda: attach("evaluation.deduction", deduction.id, evidence, by=city.users["evaluator"]))
    migration = load_migration("core/migrations/0030_attachments.py")
    with app.app_context(), db.connection_context():
        before = [(a.subject_id, a.photo_id, a.stage, a.event_id) for a in attachments_of("workorder", order.id)]
        migrator = SchemaMigrator.from_database(db.obj)
        migration.down(migrator, db.obj)  # the schema before 0030, with the photos in work_order_photo
        rows = db.execute_sql("SELECT order_id, photo_id, stage, event_id FROM work_order_photo").fetchall()
        assert [tuple(row) for row in rows] == before
        rows = db.execute_sql("SELECT id, photo_id FROM deduction").fetchall()
        assert [tuple(row) for row in rows] == [(deduction.id, evidence.id)]  # the column as it was
        migration.up(migrator, db.obj)
        after = attachments_of("workorder", order.id)
        event = WorkOrderEvent.get_by_id(after[0].event_id)
        [moved] = attachments_of("evaluation.deduction", deduction.id)
        assert (moved.photo_id, moved.stage, moved.added_by_id) == (evidence.id, None, city.users["evaluator"].id)
        columns = {column.name for column in db.get_columns("deduction")}
        indexes = {index.name for index in db.get_indexes("deduction")}
    assert "photo_id" not in columns
    assert {"deduction_day", "deduction_level_object_key"} <= indexes
    assert [(a.subject_id, a.photo_id, a.stage, a.event_id) for a in after] == before
    assert before[0][2] == "report" and after[0].added_by_id == event.actor_id == city.users["collector"].id


def test_a_deduction_photo_is_refused_with_404_to_who_may_not_see_evaluation(app, city):
    from core.evaluation.models import Deduction

    def build():
        photo = photos.store(io.BytesIO(jpeg("olive")), "p.jpg", city.users["evaluator"])
        row = Deduction.create(
            level="department", object_key=str(city.sanitation.id), day=date(2026, 10, 20), points=1, reason="x", author=city.users["evaluator"],
        )  # fmt: skip
        attach("evaluation.deduction", row.id, photo, by=city.users["evaluator"])
        return attachments_of("evaluation.deduction", row.id)[0]

    link = in_db(app, build)
    assert client_for(app, "evaluator").get(f"/attachments/{link.id}/display").status_code == 200
    assert client_for(app, "collector").get(f"/attachments/{link.id}/display").status_code == 404


def test_a_vehicle_photo_is_refused_with_404_outside_the_vehicles_scope(app, city):
    from plugins.zombie_cars import service
    from plugins.zombie_cars.models import Vehicle

    def build():
        photo = photos.store(io.BytesIO(jpeg("navy")), "p.jpg", city.users["collector"])
        vehicle = Vehicle.create(plate="湘FA0001", grid=city.grid, reported_by=city.users["collector"], address="路")
        service.add_photos(vehicle, [photo], by=city.users["collector"])
        return service.vehicle_photos(vehicle)[0]

    link = in_db(app, build)
    assert link.added_by_id == city.users["collector"].id
    url = f"/attachments/{link.id}/thumb"
    assert client_for(app, "collector").get(url).status_code == 200
    assert client_for(app, "dispatcher").get(url).status_code == 200
    assert client_for(app, "other_collector").get(url).status_code == 404


def test_zombie_cars_migration_0005_moves_the_vehicle_photos(app, city):
    from plugins.zombie_cars import service
    from plugins.zombie_cars.models import Vehicle

    def build():
        photo = photos.store(io.BytesIO(jpeg("lime")), "p.jpg", city.users["collector"])
        vehicle = Vehicle.create(plate="湘FA0002", grid=city.grid, reported_by=city.users["collector"], address="路")
        service.add_photos(vehicle, [photo])
        return vehicle, photo

    vehicle, photo = in_db(app, build)
    migration = load_migration("plugins/zombie_cars/migrations/0005_attachments.py")
    with app.app_context(), db.connection_context():
        migrator = SchemaMigrator.from_database(db.obj)
        migration.down(migrator, db.obj)  # as before 0005: the photo in zombie_cars_photo only
        rows = db.execute_sql("SELECT vehicle_id, photo_id FROM zombie_cars_photo").fetchall()
        assert [tuple(row) for row in rows] == [(vehicle.id, photo.id)]
        assert service.vehicle_photos(vehicle) == []
        migration.up(migrator, db.obj)
        moved = [(a.photo_id, a.stage) for a in service.vehicle_photos(vehicle)]
        assert "zombie_cars_photo" not in db.get_tables()
    assert moved == [(photo.id, None)]
