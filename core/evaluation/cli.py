"""`flask evaluation report --period 2026-10 --level department --format json|csv|xlsx`."""

import csv
import io
import json
import sys

import click
from flask.cli import AppGroup

from core.db import db
from core.evaluation import exports, periods
from core.evaluation.indicators import LEVELS
from core.evaluation.snapshots import table
from core.parsing import escape_controls

evaluation_cli = AppGroup("evaluation", help="Evaluation figures, scores and rankings.")


@evaluation_cli.command("report", help="Every indicator, the score and the grade of every object of a level.")
@click.option(
    "--period", "period_text", required=True, help="2026-10, 2026-W44, 2026-Q3, 2026 or 2026-10-01..2026-10-15"
)
@click.option("--level", type=click.Choice(list(LEVELS)), default="department", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "xlsx"]), default="json", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="File to write (default: standard output; xlsx needs a file).",
)
def report(period_text, level, fmt, output):
    try:
        period = periods.parse(period_text)
    except periods.PeriodError as error:
        raise click.BadParameter(str(error), param_hint="--period") from error
    if fmt == "xlsx" and not output:
        raise click.BadParameter("an Excel file needs --output FILE", param_hint="--output")
    with db.connection_context():
        result = table(level, period)
    if fmt == "xlsx":
        with open(output, "wb") as handle:
            handle.write(exports.table_workbook(period, result))
        click.echo(f"wrote {output}")
        return
    if fmt == "json":
        text = json.dumps({"period": period.key, "start": str(period.start), "end": str(period.end), **result},
                          ensure_ascii=False, indent=2)  # fmt: skip
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        headers, rows = exports.table_rows(result)
        writer.writerow(headers)
        writer.writerows(rows)
        text = escape_controls(buffer.getvalue())
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        click.echo(f"wrote {output}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
