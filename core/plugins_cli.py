"""`flask plugins list` and `flask plugins new NAME`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core import scaffold
from core.plugins import host

plugins_cli = AppGroup("plugins", help="List the plugins, or write a new one.")


def table(infos) -> list[str]:
    """One line per plugin in aligned columns; a failed plugin gets its error on the line below."""
    rows = [("NAME", "VERSION", "SOURCE", "STATUS", "")]
    rows += [(i.name, i.version or "-", i.source, i.status, i.error_summary) for i in infos]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    lines = []
    for *cells, status, error in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + "  " + status)
        if status == "failed":
            lines.append(f"    error: {error}")
    return lines


@plugins_cli.command(
    "list", help="Every plugin found: name, version, source and status (failed ones with their error)."
)
def list_plugins():
    for line in table(host().infos.values()):
        click.echo(line)


@plugins_cli.command("new", help="Write a working plugin skeleton NAME into PLUGINS_DIR (or --dir).")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), help="Where to write it.")
def new_plugin(name, folder):
    plugins_dir = Path(current_app.config["PLUGINS_DIR"])
    target = (folder or plugins_dir).resolve()
    plugins = host()
    taken = set(plugins.infos) | set(current_app.blueprints)
    used_codes = {category["code"] for _, category in plugins.items("register_categories")}
    try:
        written = scaffold.create(name, target, taken=taken, used_codes=used_codes)
    except scaffold.ScaffoldError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Wrote plugin {name!r} to {target / name}:")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    if target != plugins_dir.resolve():
        click.echo(f"Xiuhua loads plugins from PLUGINS_DIR ({plugins_dir}): move it there or set PLUGINS_DIR.")
    click.echo("Next:")
    click.echo(f"  pytest {target / name}    # its own tests")
    click.echo("  make translations    # compiles its catalogue, translations/ (after changing strings: make extract)")
    click.echo("  flask --app app db upgrade    # its table, permissions and category")
    click.echo(f"  restart Xiuhua: {name!r} is in the menu of admin, leader and dispatcher")
