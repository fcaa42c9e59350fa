"""`flask catalogue`: import a catalogue or filing-standard CSV file, list the categories."""

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from core.catalogue.importer import import_file
from core.catalogue.models import EDITIONS, KINDS, Category
from core.catalogue.reading import ImportFileError
from core.db import db

catalogue_cli = AppGroup("catalogue", help="Categories of components and events, and filing standards.")


@catalogue_cli.command("import", help="Import a catalogue or filing-standard CSV file (UTF-8 or GBK).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-rejected", is_flag=True, help="Import the good rows even when some are rejected.")
@click.option("--dry-run", is_flag=True, help="Check and compare only; write nothing.")
def import_command(path, skip_rejected, dry_run):
    with db.connection_context(), force_locale("en"):
        try:
            result = import_file(path, path, skip_rejected=skip_rejected, dry_run=dry_run)
        except ImportFileError as error:
            raise click.ClickException(f"{Path(path).name}: {error}") from None
    click.echo(f"{result.filename}: {result.format} file, {EDITIONS[result.edition]}, {result.total} rows")
    for line in result.lines():
        click.echo(line)
    for line, reason in result.rejected:
        click.echo(f"line {line}: {reason}")
    if result.written:
        click.echo(f"written; {len(result.rejected)} rejected rows skipped" if result.rejected else "written")
    elif dry_run:
        click.echo("dry run: nothing was written")
    else:
        click.echo(f"{len(result.rejected)} rows rejected: nothing was written (--skip-rejected imports the others)")
        raise SystemExit(1)


@catalogue_cli.command("list", help="List the categories.")
@click.option("--edition", type=click.Choice(list(EDITIONS)))
@click.option("--kind", type=click.Choice(list(KINDS)))
def list_command(edition, kind):
    with db.connection_context():
        query = Category.select().order_by(Category.edition, Category.kind, Category.code)
        if edition:
            query = query.where(Category.edition == edition)
        if kind:
            query = query.where(Category.kind == kind)
        for category in query:
            state = "" if category.active else "  (not in use)"
            click.echo(f"{category.edition} {category.kind:9} {category.code:5} {category.name}{state}")
        if not query.exists():
            click.echo("no categories: import a catalogue with `flask catalogue import FILE`")
