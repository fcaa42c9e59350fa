"""`flask components import|export`: the census CSV from and to a file (core/components/census.py)."""

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from core.components.census import ImportFileError, import_file
from core.components.models import Component
from core.db import db
from core.grids.geo import CRS

components_cli = AppGroup("components", help="The component census (部件普查).")


@components_cli.command("import", help="Import a component census CSV file (UTF-8 or GBK).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", type=click.Choice(list(CRS)), default="wgs84", help="The file's coordinate system.")
@click.option("--skip-bad", is_flag=True, help="Import the good rows even when some are bad.")
@click.option("--dry-run", is_flag=True, help="Check and compare only; write nothing.")
def import_command(path, crs, skip_bad, dry_run):
    with db.connection_context(), force_locale("en"):
        try:
            result = import_file(path, path, crs=crs, skip_bad=skip_bad, dry_run=dry_run)
        except ImportFileError as error:
            raise click.ClickException(f"{Path(path).name}: {error}") from None
        click.echo(f"{result.filename}: {result.total} rows; {result.line()}")
        for line, reason in result.rejected:
            click.echo(f"line {line}: {reason}")
    if result.written:
        click.echo(f"written; {len(result.rejected)} bad rows skipped" if result.rejected else "written")
    elif dry_run:
        click.echo("dry run: nothing was written")
    else:
        click.echo(f"{len(result.rejected)} bad rows: nothing was written (--skip-bad imports the others)")
        raise SystemExit(1)


@components_cli.command("export", help="Write the census as CSV (the import's format) to a file or stdout.")
@click.argument("path", type=click.Path(dir_okay=False, writable=True), required=False)
@click.option("--raw", is_flag=True, help="Write cells starting with = + - @ as they are (not for Excel).")
def export_command(path, raw):
    from core.components.export import csv_file

    with db.connection_context():
        data, count = csv_file(raw=raw), Component.select().count()
    if path:
        Path(path).write_bytes(data)
        click.echo(f"{path}: {count} components")
    else:
        click.echo(data.decode("utf-8-sig"), nl=False)
