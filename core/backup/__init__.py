"""Backup and restore (docs/operations.md): `flask backup` writes the database, the photo files and the
secret key into one checked archive (service.py; the database's part, database.py), `flask restore` puts
one back, and the `backup.nightly` job (off unless BACKUP_NIGHTLY) backs up and keeps the BACKUP_KEEP newest."""

from flask_babel import lazy_gettext as _l

from core.hookspecs import hookimpl
from core.scheduler import JobSpec


@hookimpl
def config_defaults():
    # BACKUP_DIR empty: instance/backups
    return {"BACKUP_DIR": "", "BACKUP_NIGHTLY": False, "BACKUP_KEEP": 7}


@hookimpl
def register_commands(cli):
    from core.backup.cli import backup_command, restore_command

    cli.add_command(backup_command)
    cli.add_command(restore_command)


@hookimpl
def register_jobs():
    from core.backup.service import nightly

    return [
        JobSpec("backup.nightly", _l("Nightly backup of the database and the photo files"), nightly, cron="15 2 * * *")
    ]
