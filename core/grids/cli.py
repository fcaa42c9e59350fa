"""`flask grids`: import and export unit-grid shapes, find the grid of a point."""

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from core.db import db
from core.grids.geo import CRS
from core.grids.importer import ImportFileError, import_file
from core.grids.index import locate
from core.grids.models import code_form, export_text

grids_cli = AppGroup("grids", help="Unit-grid shapes: import, export, find the grid of a point.")


def _iso_date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


def _problem_line(number, code, text) -> str:
    if number is None:
        return f"warning: {text}"
    return f"feature {number} ({code or 'no code'}): {text}"


@grids_cli.command("import", help="Import unit-grid shapes from a GeoJSON FeatureCollection.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--crs", type=click.Choice(list(CRS)), required=True, help="The file's coordinates.")
@click.option("--valid-from", callback=_iso_date, help="New and redrawn shapes start on this day (default: today).")
@click.option("--accept-warnings", is_flag=True, help="Import even when there are gaps between grids.")
@click.option("--dry-run", is_flag=True, help="Check and count only; write nothing.")
def import_command(path, crs, valid_from, accept_warnings, dry_run):
    with db.connection_context(), force_locale("en"):
        try:
            result = import_file(
                path, path, crs=crs, valid_from=valid_from, accept_warnings=accept_warnings, dry_run=dry_run
            )
        except ImportFileError as error:
            raise click.ClickException(f"{Path(path).name}: {error}") from None
    click.echo(
        f"{result.filename}: {result.total} features, {crs.upper()}, shapes valid from {result.valid_from.isoformat()}"
    )
    click.echo(result.line())
    if result.legacy:
        shown = ", ".join(result.legacy[:10]) + (" ..." if len(result.legacy) > 10 else "")
        click.echo(f"legacy 14-digit codes (CJ/T 213-2005): {len(result.legacy)} ({shown})")
    for problem in result.errors + result.warnings:
        click.echo(_problem_line(*problem))
    if result.written:
        click.echo("written" + (f" with {len(result.warnings)} warnings accepted" if result.warnings else ""))
    elif dry_run:
        click.echo("dry run: nothing was written")
    elif result.errors:
        click.echo(f"{len(result.errors)} errors: nothing was written")
        raise SystemExit(1)
    else:
        click.echo(f"{len(result.warnings)} warnings: nothing was written (--accept-warnings imports anyway)")
        raise SystemExit(1)


@grids_cli.command("export", help="Write the unit grids' shapes to a GeoJSON file (WGS84).")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--on", callback=_iso_date, help="The shapes valid on this day (default: the current ones).")
def export_command(path, on):
    with db.connection_context():
        text = export_text(on)
    Path(path).write_text(text, encoding="utf-8")
    count = text.count('"type":"Feature"')
    click.echo(f"{count} unit grids written to {path}")


@grids_cli.command("locate", help="Print the unit grid containing a point.")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
@click.option("--crs", type=click.Choice(list(CRS)), default="wgs84", show_default=True)
def locate_command(lon, lat, crs):
    with db.connection_context():
        found = locate(lon, lat, crs)
    if found is None:
        click.echo(f"no unit grid contains {lon}, {lat} ({crs})")
        raise SystemExit(1)
    legacy = " (legacy 14-digit code)" if code_form(found.code) == "legacy" else ""
    click.echo(f"{found.code} {found.name}{legacy}")
