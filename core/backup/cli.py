"""`flask backup [--to DIR]` and `flask restore ARCHIVE [--yes]`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core.backup import service
from core.backup.database import BackupError


@click.command("backup", help="Write the database, the photo files and the secret key into one archive.")
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the archive into (default: BACKUP_DIR, instance/backups).",
)
@with_appcontext
def backup_command(folder):
    app = current_app._get_current_object()
    try:
        written = service.create(app, folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    counts = written.manifest["counts"]
    click.echo(f"wrote {written.path} ({service.human_size(written.size)})")
    click.echo(f"{counts['work_orders']} work orders, {counts['photos']} photos, {counts['files']} files")


@click.command("restore", help="Replace the database, the photo files and the secret key with a backup's.")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(archive, yes):
    app = current_app._get_current_object()
    try:
        manifest = service.verify(archive)
        service.check_restorable(app, manifest)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    counts = manifest["counts"]
    click.echo(
        f"{archive.name}: a {manifest['database']['kind']} backup of {manifest['created_at']}, "
        f"{counts['work_orders']} work orders, {counts['files']} files; every member checked"
    )
    unknown = service.unknown_migrations(app, manifest)
    if unknown:
        click.echo(
            f"warning: the backup has {len(unknown)} migrations this code does not know ({unknown[0]}...): it was "
            "made by newer code or with a plugin missing here; restore it with that code"
        )
    if not yes:
        click.confirm(
            "Stop the web and scheduler processes first. Replace this installation's database, photo files "
            "and secret key with the backup's? What was written since the backup is lost",
            abort=True,
        )
    try:
        pending = service.restore(app, archive, manifest)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored {archive}")
    if pending:
        click.echo(f"{len(pending)} migrations are pending (the code is newer than the backup): run flask db upgrade")
