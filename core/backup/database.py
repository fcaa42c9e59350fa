"""A consistent copy of the database, and putting one back: SQLite through its backup API (safe while
the database is in use), PostgreSQL through pg_dump/pg_restore with the URL's parts in libpq's PG*
environment variables (so that no password shows in the process list)."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from playhouse.db_url import parse

from core.db import db, is_sqlite

PG_LIB = Path("/usr/lib/postgresql")  # Debian's and Ubuntu's home of each major version's client tools
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
# libpq's environment variables for the parts of a URL, and for the query parameters it may carry
PG_ENV = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "database": "PGDATABASE"}
PG_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


def kind() -> str:
    return "sqlite" if is_sqlite() else "postgresql"


def member_name(database_kind: str) -> str:
    return SQLITE_MEMBER if database_kind == "sqlite" else POSTGRES_MEMBER


def dump(url: str, target: Path):
    """Write a consistent copy of the database at `url` to `target`."""
    if kind() == "sqlite":
        _sqlite_dump(Path(db.obj.database), target)
    else:
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"], url)


def load(url: str, source: Path):
    """Replace the database at `url` with the copy in `source` (made by dump() for the same kind)."""
    if not db.is_closed():
        db.close()
    if kind() == "sqlite":
        _sqlite_load(source, Path(db.obj.database))
    else:
        command = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
        command += ["--exit-on-error", "--no-password", f"--dbname={parse(url)['database']}", str(source)]
        _run(command, url)


# --- SQLite -------------------------------------------------------------------------------------------


def _sqlite_dump(source: Path, target: Path):
    """sqlite3's online backup: a snapshot of the live database, with what is still in its WAL file."""
    origin = sqlite3.connect(source, timeout=30)
    copy = sqlite3.connect(target)
    try:
        with copy:
            origin.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        origin.close()


def _sqlite_load(source: Path, target: Path):
    """The copy takes the database's place in one rename. The old database's WAL is first folded into it
    and emptied, so that no frame of it can ever be applied to the restored file."""
    check = sqlite3.connect(source)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"the database in the archive fails SQLite's integrity check: {source.name}")
    finally:
        check.close()
    staged = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(source, staged)
    try:
        if target.exists():
            old = sqlite3.connect(target, timeout=30)
            try:
                busy = old.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                old.close()
            if busy:
                raise BackupError(f"{target} is in use: stop the web and scheduler processes, then restore")
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


# --- PostgreSQL ---------------------------------------------------------------------------------------


def pg_environment(url: str) -> dict:
    """The process environment with the URL's parts as PGHOST, PGPASSWORD... (as peewee reads the URL:
    not percent-decoded)."""
    env = dict(os.environ)
    for key, value in parse(url).items():
        name = PG_ENV.get(key) or PG_QUERY_ENV.get(key)
        if name and value not in (None, ""):
            env[name] = str(value)
    return env


def _pg_tool(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else from the newest /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(PG_LIB.glob(f"*/bin/{name}"), key=lambda p: _version(p.parent.parent))
    if versions:
        return str(versions[-1])
    raise BackupError(
        f"{name} is not installed or not on PATH: install PostgreSQL's client tools (apt-get install "
        f"postgresql-client, of the server's major version or newer)"
    )


def _version(folder: Path) -> tuple:
    return tuple(int(part) for part in folder.name.split(".") if part.isdigit())


def _run(command: list[str], url: str):
    result = subprocess.run(command, env=pg_environment(url), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed (exit {result.returncode}): {result.stderr.strip()}")
