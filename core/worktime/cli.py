"""`flask calendar ...`: explain a deadline, import special days from CSV, list a year's."""

from datetime import date

import click
from flask.cli import AppGroup

from core import clock
from core.db import db
from core.timelimits import LimitError, parse_limit
from core.worktime.calendar import CalendarError, format_periods, parse_start
from core.worktime.deadlines import explain, load
from core.worktime.edits import YEARS, decode, import_days, read_csv

calendar_cli = AppGroup("calendar", help="The working-time calendar: explain a deadline, import and list special days.")


@calendar_cli.command("due", help='Print the due time of a limit: --start "2026-11-27 17:30" --limit 4工作时.')
@click.option("--start", help="Start time, YYYY-MM-DD HH:MM (default: now).")
@click.option("--limit", "limit", required=True, help="A time limit as filing standards write it: 4工作时, 3工作日.")
@click.option("--explain", "verbose", is_flag=True, help="Also print a one-line explanation.")
def due_command(start, limit, verbose):
    try:
        moment = parse_start(start) if start is not None else clock.now()
    except CalendarError as error:
        raise click.BadParameter(str(error), param_hint="--start") from None
    try:
        parsed = parse_limit(limit)
    except LimitError as error:
        raise click.BadParameter(str(error), param_hint="--limit") from None
    with db.connection_context():
        try:
            result = explain(moment, parsed)
        except CalendarError as error:
            raise click.UsageError(str(error)) from None
        click.echo(result.due.isoformat(timespec="seconds"))
        if verbose:
            click.echo(result.text)


@calendar_cli.command("import", help="Import special days from CSV: date,kind,name (kind holiday/workday or 休/班).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="First remove the other special days of the years in the file.")
def import_command(path, replace):
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        rows, errors = read_csv(decode(data))
    except CalendarError as error:
        raise click.ClickException(str(error)) from None
    if errors:
        for line, text in errors:
            click.echo(f"{path}:{line}: {text}", err=True)
        raise click.ClickException(f"{len(errors)} bad line(s); nothing was imported")
    with db.connection_context():
        counts = import_days(rows, replace=replace, source=path)
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@calendar_cli.command("show", help="List the working hours and the special days of a year.")
@click.argument("year", type=click.IntRange(*YEARS))
def show_command(year):
    with db.connection_context():
        cal = load()
    click.echo(f"working periods: {format_periods(cal.periods)}")
    click.echo(f"working weekdays: {', '.join(date(2024, 1, d).strftime('%a') for d in cal.weekdays)}")
    days = sorted((d, spec) for d, spec in cal.days.items() if d.year == year)
    for day, (kind, name) in days:
        click.echo(f"{day.isoformat()}  {day:%a}  {kind:<8} {name}".rstrip())
    if not days:
        click.echo(f"no special days in {year}")
