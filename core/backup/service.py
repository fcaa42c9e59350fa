"""Backups of a whole installation in one archive, and restoring one.

`xiuhua-backup-YYYYmmdd-HHMMSS.tar.gz` holds `manifest.json`, the database (`database.sqlite3` or
`database.pgdump`, see database.py), `photos/…` (PHOTO_DIR: every photo and attachment file) and
`secret_key` (instance/secret_key, when there is one). The manifest lists every other member with its
sha256 and size: a restore checks them all before it writes anything. Export files (instance/exports/)
are left out: they are temporary and made again on request."""

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import current_app, has_app_context

import core
from core import clock
from core import db as dbmod
from core.backup import database
from core.backup.database import BackupError

FORMAT, VERSION = "xiuhua-backup", 1
MANIFEST = "manifest.json"
SECRET_MEMBER = "secret_key"
PHOTOS = "photos"
NAME = re.compile(r"^xiuhua-backup-\d{8}-\d{6}\.tar\.gz$")
CHUNK = 1024 * 1024


@dataclass
class Written:
    path: Path
    size: int
    manifest: dict


# --- where things are -----------------------------------------------------------------------------------


def _in_app(app):
    """The app's context, pushed only when not already in it: leaving a pushed one tears the connection
    down (PostgreSQL), under a caller such as the scheduler's job runner that still holds it."""
    if has_app_context() and current_app._get_current_object() is app:
        return contextlib.nullcontext()
    return app.app_context()


def backup_dir(app) -> Path:
    """BACKUP_DIR; empty: instance/backups; relative: to the instance folder."""
    return Path(app.instance_path, app.config.get("BACKUP_DIR") or "backups")


def photo_dir(app) -> Path:
    return Path(app.instance_path, app.config["PHOTO_DIR"])


def secret_key_file(app) -> Path:
    return Path(app.instance_path) / "secret_key"


# --- backing up ---------------------------------------------------------------------------------------


def create(app, to: Path | None = None) -> Written:
    """Write one archive into `to` (default BACKUP_DIR). It is written under a temporary name and renamed
    when complete: a failed backup leaves no archive behind."""
    folder = Path(to) if to else backup_dir(app)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = clock.now()
    final = folder / f"xiuhua-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
    if final.exists():
        raise BackupError(f"{final} already exists: wait a second and back up again")
    partial = folder / f".{final.name}.partial"
    work = Path(tempfile.mkdtemp(prefix=".xiuhua-backup-", dir=folder))
    try:
        kind = database.kind()
        dumped = work / database.member_name(kind)
        with _in_app(app), _connected():
            database.dump(app.config["DATABASE_URL"], dumped)
            facts = _facts(app)
        members: dict[str, dict] = {}
        partial.touch(mode=0o600)  # it holds the secret key and every person's data: the owner's only
        with tarfile.open(partial, "w:gz") as tar:
            _add_file(tar, members, dumped.name, dumped)
            secret = secret_key_file(app)
            if secret.is_file():
                _add_file(tar, members, SECRET_MEMBER, secret, mode=0o600)
            photos = photo_dir(app)
            for path in sorted(photos.rglob("*")) if photos.is_dir() else []:
                if path.is_file() and not path.is_symlink():
                    _add_file(tar, members, f"{PHOTOS}/{path.relative_to(photos).as_posix()}", path)
            files = sum(1 for name in members if name.startswith(f"{PHOTOS}/"))
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": now.isoformat(timespec="seconds"),
                "timezone": app.config["TIMEZONE"],
                "xiuhua_version": core.__version__,
                "database": {"kind": kind, "member": dumped.name},
                "migrations": facts["migrations"],
                "counts": {**facts["counts"], "files": files},
                "members": members,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            tar.addfile(_info(MANIFEST, len(data)), io.BytesIO(data))
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Written(final, final.stat().st_size, manifest)


def _connected():
    """A connection for the work: the caller's when it has one (a job's), else one of its own."""
    return contextlib.nullcontext() if not dbmod.db.is_closed() else dbmod.db.connection_context()


def _facts(app) -> dict:
    from core.photos import Photo
    from core.workorders.models import WorkOrder

    applied = [
        f"{component}: {m.name}"
        for component, directory in dbmod.migration_sources(app)
        for m in dbmod.runner(component, directory).status()
        if m.applied
    ]
    counts = {"work_orders": WorkOrder.select().count(), "photos": Photo.select().count()}
    return {"migrations": applied, "counts": counts}


def _info(name: str, size: int, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode, int(clock.now().timestamp())
    return info


def _add_file(tar, members: dict, name: str, path: Path, mode: int = 0o644):
    """Add a file streamed, never whole in memory (the database's copy may be gigabytes). The files are
    ones nothing rewrites (the dump just made, stored photos); verify() would refuse one that changed."""
    with open(path, "rb") as handle:
        digest = _digest(handle)
        size = handle.tell()
        handle.seek(0)
        members[name] = {"sha256": digest, "size": size}
        tar.addfile(_info(name, size, mode), handle)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest archives of `folder` (at least the newest stays); other files stay."""
    archives = sorted(p for p in folder.iterdir() if p.is_file() and NAME.match(p.name))
    doomed = archives[: -max(keep, 1)]
    for path in doomed:
        path.unlink()
    return doomed


# --- checking an archive ------------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def verify(archive: Path) -> dict:
    """The archive's manifest, once every member is there with its sha256 and nothing else is; otherwise
    BackupError saying what is wrong. Reads only."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _manifest(tar)
            expected = manifest["members"]
            seen = set()
            for info in tar:
                if info.name == MANIFEST:
                    continue
                if not info.isfile() or not _safe_name(info.name):
                    raise BackupError(f"refusing {archive}: unexpected member {info.name!r}")
                if info.name not in expected or info.name in seen:
                    raise BackupError(f"refusing {archive}: {info.name!r} is not in its manifest")
                seen.add(info.name)
                if _digest(tar.extractfile(info)) != expected[info.name]["sha256"]:
                    raise BackupError(f"refusing {archive}: {info.name} is damaged (sha256 differs)")
    except (tarfile.TarError, EOFError, zlib.error, OSError, KeyError, TypeError, ValueError) as error:
        raise BackupError(f"refusing {archive}: not a readable Xiuhua backup ({error})") from error
    missing = set(expected) - seen
    if missing:
        raise BackupError(f"refusing {archive}: missing {', '.join(sorted(missing))}")
    return manifest


def _manifest(tar) -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError("not a Xiuhua backup: it has no manifest.json") from None
    manifest = json.loads(tar.extractfile(member).read())
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a Xiuhua backup: its manifest is of another format")
    if manifest.get("version") != VERSION:
        raise BackupError(f"backup format version {manifest.get('version')!r}: this Xiuhua reads version {VERSION}")
    kind = manifest["database"]["kind"]
    if kind not in ("sqlite", "postgresql") or manifest["database"]["member"] not in manifest["members"]:
        raise BackupError("the manifest names no database of a known kind")
    for name, entry in manifest["members"].items():
        if not _safe_name(name) or not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
            raise BackupError(f"the manifest's entry {name!r} is not valid")
    return manifest


def _digest(handle) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def check_restorable(app, manifest: dict):
    """Refuse a backup of the other kind of database than this installation's."""
    with _in_app(app):
        here = database.kind()
    there = manifest["database"]["kind"]
    if there != here:
        raise BackupError(f"this is a backup of a {there} database; this installation uses {here}")


def unknown_migrations(app, manifest: dict) -> list[str]:
    """Migrations the backup's database has and this code does not know: it was made by newer code
    (or with a plugin that is not here)."""
    known = {
        f"{component}: {m.name}"
        for component, directory in dbmod.migration_sources(app)
        for m in dbmod.runner(component, directory).migrations()
    }
    return [name for name in manifest.get("migrations", []) if name not in known]


# --- restoring ----------------------------------------------------------------------------------------


def restore(app, archive: Path, manifest: dict) -> list[str]:
    """Replace the database, PHOTO_DIR and instance/secret_key with the archive's (checked by verify()).
    The archive is unpacked into a temporary folder in the instance first and checked again there."""
    check_restorable(app, manifest)
    instance = Path(app.instance_path)
    staging = Path(tempfile.mkdtemp(prefix=".xiuhua-restore-", dir=instance))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
        for name, entry in manifest["members"].items():
            with open(staging / name, "rb") as handle:
                if _digest(handle) != entry["sha256"]:
                    raise BackupError(f"{name} changed while it was unpacked: restore again")
        with _in_app(app):
            database.load(app.config["DATABASE_URL"], staging / manifest["database"]["member"])
        _replace_photos(photo_dir(app), staging / PHOTOS)
        secret = staging / SECRET_MEMBER
        if secret.is_file():
            target = secret_key_file(app)
            secret.chmod(0o600)
            shutil.move(secret, target.with_name(".secret_key.restoring"))
            os.replace(target.with_name(".secret_key.restoring"), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with _in_app(app):
        return dbmod.pending(app)


def _replace_photos(target: Path, staged: Path):
    """The restored photos take PHOTO_DIR's place; files added after the backup go with the old folder."""
    if not staged.is_dir():
        staged.mkdir()
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.replaced")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    shutil.move(staged, target)
    shutil.rmtree(old, ignore_errors=True)


# --- the nightly job ----------------------------------------------------------------------------------


def nightly():
    from core.scheduler import N_, Summary

    app = current_app._get_current_object()
    if not app.config.get("BACKUP_NIGHTLY"):
        return Summary(N_("Nightly backup is off (BACKUP_NIGHTLY): nothing done"))
    written = create(app)
    deleted = prune(written.path.parent, int(app.config.get("BACKUP_KEEP", 7)))
    return Summary(
        N_("Backup written: %(name)s (%(size)s); older backups deleted: %(n)d"),
        name=written.path.name,
        size=human_size(written.size),
        n=len(deleted),
    )


def human_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)
