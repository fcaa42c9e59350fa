"""`flask backup` and `flask restore` (core/backup/): a round trip on the test's own database (SQLite here,
PostgreSQL when XIUHUA_TEST_DATABASE_URL names one, with pg_dump on PATH), damaged or foreign archives
refused with nothing changed, the nightly job off by default, retention keeping BACKUP_KEEP archives."""

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from core import photos
from core.workorders.models import WorkOrder

ON_POSTGRES = (os.environ.get("XIUHUA_TEST_DATABASE_URL") or "").startswith("postgres")


def backup(app, folder: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(folder)])
    assert result.exit_code == 0, result.output
    archives = sorted(folder.glob("xiuhua-backup-*.tar.gz"))
    assert len(archives) == 1 and f"wrote {archives[0]}" in result.output
    return archives[0]


def restore(app, archive: Path, *extra, input=None):
    return app.test_cli_runner().invoke(args=["restore", str(archive), *extra], input=input)


def photo_file(app, in_db, case) -> Path:
    return in_db(app, lambda: photos.path(photos.Photo.select().get()))


def description(app, in_db, case):
    return in_db(app, lambda: WorkOrder.get_by_id(case.id).description)


def test_round_trip_brings_back_the_data_the_photo_and_the_secret_key(app, in_db, case, tmp_path):
    secret = Path(app.instance_path, "secret_key")
    secret.write_text("the-backed-up-secret")
    original = photo_file(app, in_db, case)
    original_bytes = original.read_bytes()
    archive = backup(app, tmp_path / "backups")
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds the secret key and everyone's data
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["kind"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["counts"]["work_orders"] == 1 and manifest["counts"]["files"] >= 1
    assert any(name.startswith("core: 0001") for name in manifest["migrations"])
    assert "secret_key" in manifest["members"]

    in_db(app, lambda: WorkOrder.update(description="changed").where(WorkOrder.id == case.id).execute())
    original.unlink()
    secret.write_text("another-secret")

    result = restore(app, archive, "--yes")
    assert result.exit_code == 0, result.output
    assert description(app, in_db, case) == "垃圾桶满溢"
    assert in_db(app, lambda: WorkOrder.select().count()) == 1
    assert original.read_bytes() == original_bytes
    assert secret.read_text() == "the-backed-up-secret"


def test_restore_asks_first_and_changes_nothing_when_refused(app, in_db, case, tmp_path):
    archive = backup(app, tmp_path / "backups")
    in_db(app, lambda: WorkOrder.update(description="changed").where(WorkOrder.id == case.id).execute())
    result = restore(app, archive, input="n\n")
    assert result.exit_code != 0 and "Replace this installation's database" in result.output
    assert description(app, in_db, case) == "changed"


def rewrite(archive: Path, target: Path, change):
    """A copy of the archive with change(name, data, manifest) → new data (None: leave the member out)."""
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        members = [(info.name, tar.extractfile(info).read()) for info in tar if info.name != "manifest.json"]
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members:
            data = change(name, data, manifest)
            if data is not None:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return target


def damaged_photo(name, data, manifest):
    return data[:-1] + b"x" if name.startswith("photos/") else data


def other_kind(name, data, manifest):
    manifest["database"]["kind"] = "sqlite" if ON_POSTGRES else "postgresql"
    return data


def escaping(name, data, manifest):
    """A member that would land outside the folder it is unpacked into, listed with its right sha256."""
    if name == manifest["database"]["member"]:
        manifest["members"]["../escaped"] = manifest["members"][name]
    return data


def truncated(archive: Path, target: Path):
    data = archive.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda a, t: rewrite(a, t, damaged_photo), "is damaged (sha256 differs)"),
        (lambda a, t: rewrite(a, t, lambda n, d, m: None if n.startswith("photos/") else d), "missing photos/"),
        (lambda a, t: rewrite(a, t, other_kind), "this installation uses"),
        (lambda a, t: rewrite(a, t, escaping), "entry '../escaped' is not valid"),
        (truncated, "not a readable Xiuhua backup"),
        (lambda a, t: (t.write_bytes(b"not an archive at all"), t)[1], "not a readable Xiuhua backup"),
    ],
    ids=["damaged-member", "missing-member", "other-database", "path-outside", "truncated", "foreign"],
)
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_changes(app, in_db, case, tmp_path, spoil, message):
    good = backup(app, tmp_path / "backups")
    bad = spoil(good, tmp_path / "bad.tar.gz")
    in_db(app, lambda: WorkOrder.update(description="changed").where(WorkOrder.id == case.id).execute())
    photo = photo_file(app, in_db, case)
    photo.unlink()
    before = sorted(p.name for p in Path(app.instance_path).iterdir())

    result = restore(app, bad, "--yes")

    assert result.exit_code != 0 and message in result.output, result.output
    assert description(app, in_db, case) == "changed"
    assert not photo.exists()
    assert sorted(p.name for p in Path(app.instance_path).iterdir()) == before


def test_a_backup_from_newer_code_is_warned_of(app, in_db, case, tmp_path):
    def newer(name, data, manifest):
        if "core: 9999_from_the_future" not in manifest["migrations"]:
            manifest["migrations"].append("core: 9999_from_the_future")
        return data

    archive = rewrite(backup(app, tmp_path / "backups"), tmp_path / "newer.tar.gz", newer)
    result = restore(app, archive, input="n\n")
    assert "1 migrations this code does not know (core: 9999_from_the_future...)" in result.output
    assert result.exit_code != 0


def test_a_tar_without_a_manifest_is_refused(app, tmp_path):
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("etc/passwd")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    result = restore(app, foreign, "--yes")
    assert result.exit_code != 0 and "no manifest.json" in result.output


def test_the_nightly_job_is_off_by_default(app, run_job):
    run = run_job("backup.nightly")
    assert run.outcome == "success" and "BACKUP_NIGHTLY" in run.summary
    assert not Path(app.instance_path, "backups").exists()


def test_the_nightly_job_keeps_the_newest_backup_keep_archives(xiuhua_app, tmp_path, frozen_clock):
    from core import scheduler

    folder = tmp_path / "nightly"
    app = xiuhua_app(BACKUP_NIGHTLY=True, BACKUP_KEEP=2, BACKUP_DIR=str(folder))
    folder.mkdir()
    old = [folder / f"xiuhua-backup-2026010{day}-021500.tar.gz" for day in (1, 2, 3)]
    for path in old:
        path.write_bytes(b"an older backup")
    (folder / "notes.txt").write_text("not a backup")

    run = scheduler.run_job(app, "backup.nightly", "manual")

    assert run.outcome == "success", run.error
    assert "older backups deleted" in run.summary
    left = sorted(p.name for p in folder.iterdir())
    assert left == ["notes.txt", old[2].name, f"xiuhua-backup-{frozen_clock.now:%Y%m%d-%H%M%S}.tar.gz"]


def test_a_failed_backup_leaves_no_archive(app, tmp_path, monkeypatch):
    from core.backup import service

    def broken(app):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_facts", broken)
    folder = tmp_path / "backups"
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(folder)])
    assert result.exit_code != 0
    assert list(folder.iterdir()) == []


def test_pg_tools_get_the_url_in_libpq_variables_not_on_the_command_line():
    from core.backup.database import pg_environment

    env = pg_environment("postgresql://xiuhua:s3cret@db.example:5433/city?sslmode=require")
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.example", "5433", "xiuhua")
    assert (env["PGPASSWORD"], env["PGDATABASE"], env["PGSSLMODE"]) == ("s3cret", "city", "require")


def test_a_missing_pg_dump_is_said_plainly(tmp_path, monkeypatch):
    from core.backup import database

    monkeypatch.setattr(database.shutil, "which", lambda name: None)
    monkeypatch.setattr(database, "PG_LIB", tmp_path / "none")
    with pytest.raises(database.BackupError, match="pg_dump is not installed or not on PATH"):
        database._pg_tool("pg_dump")
    newest = tmp_path / "lib" / "16" / "bin" / "pg_dump"
    for version in ("9.6", "16", "15"):
        (tmp_path / "lib" / version / "bin").mkdir(parents=True)
        (tmp_path / "lib" / version / "bin" / "pg_dump").touch()
    monkeypatch.setattr(database, "PG_LIB", tmp_path / "lib")
    assert database._pg_tool("pg_dump") == str(newest)


@pytest.mark.skipif(not ON_POSTGRES, reason="XIUHUA_TEST_DATABASE_URL names no PostgreSQL database")
def test_postgres_backup_is_a_pg_dump_of_the_tests_own_database(app, in_db, case, tmp_path):
    archive = backup(app, tmp_path / "backups")
    with tarfile.open(archive) as tar:
        assert tar.extractfile("database.pgdump").read(5) == b"PGDMP"  # pg_dump's custom format
    in_db(app, lambda: WorkOrder.update(description="changed").where(WorkOrder.id == case.id).execute())
    result = restore(app, archive, "--yes")
    assert result.exit_code == 0, result.output
    assert description(app, in_db, case) == "垃圾桶满溢"


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own test")
def test_sqlite_backup_is_a_self_contained_copy(app, in_db, case, tmp_path):
    import sqlite3

    archive = backup(app, tmp_path / "backups")
    with tarfile.open(archive) as tar:
        tar.extract("database.sqlite3", tmp_path / "out", filter="data")
    copy = sqlite3.connect(tmp_path / "out" / "database.sqlite3")
    try:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT description FROM work_order").fetchall() == [("垃圾桶满溢",)]
    finally:
        copy.close()
