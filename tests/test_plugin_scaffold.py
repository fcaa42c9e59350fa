"""`flask plugins list` and `flask plugins new`: the list shows every plugin with its version, source and
status (and why a failed one failed); a new plugin's skeleton passes its own tests as written, is clean
for ruff (its migration too, and so are the migration forms docs/plugins.md gives), has its own complete
catalogue, and after `db upgrade` and a restart is in the menu with working pages, form and static file,
in Chinese once its catalogue is compiled."""

import os
import re
import subprocess
import sys
from pathlib import Path

import core
from tests.i18n_support import PLUGIN_IGNORED, Catalogue
from tests.support import BROKEN_PLUGINS, GOOD_PLUGINS, csrf_token

ROOT = Path(__file__).resolve().parent.parent


MIGRATION_BLOCK = re.compile(r"<!-- migration -->\n```python\n(.*?)\n```\n", re.S)


def ruff(folder, *args):
    config = ["--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *config, "."], cwd=folder, capture_output=True, text=True
    )


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def new_plugin(app, name, folder):
    result = cli(app, "plugins", "new", name, "--dir", str(folder))
    assert result.exit_code == 0, result.output
    return result


def test_plugins_list_shows_name_version_source_and_status(make_app):
    lines = cli(make_app(PLUGINS_DIR=GOOD_PLUGINS), "plugins", "list").output.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "SOURCE", "STATUS"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["builtin"] == ["builtin", core.__version__, "builtin", "enabled"]
    assert rows["recorder"] == ["recorder", "1.2.3", "folder", "enabled"]
    assert rows["photos"] == ["photos", core.__version__, "builtin", "enabled"]
    status_at = lines[0].index("STATUS")  # the columns line up
    assert [line[status_at:] for line in lines[1:4]] == ["enabled"] * 3


def test_plugins_list_shows_disabled_plugins_and_why_failed_ones_failed(make_app):
    app = make_app(PLUGINS_DIR=BROKEN_PLUGINS, PLUGINS_DISABLED=["bad_menu"])
    result = cli(app, "plugins", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    row = {line.split()[0]: line.split()[-1] for line in lines if not line.startswith(" ")}
    assert row["bad_menu"] == "disabled" and row["bad_import"] == "failed" and row["builtin"] == "enabled"
    error_of = {lines[i - 1].split()[0]: line.strip() for i, line in enumerate(lines) if line.startswith("    error:")}
    assert error_of["bad_import"] == "error: ImportError: bad_import cannot find its dependency"
    assert error_of["half_bad"] == "error: RuntimeError: half_bad cannot declare its jobs"
    assert error_of["no_id"] == "error: register_permissions returned an item without its id: KeyError: 'name'"
    assert set(error_of) == {"bad_import", "bad_register", "half_bad", "bad_command", "no_id"}


def test_plugins_new_refuses_bad_or_taken_names_and_writes_nothing(make_app, tmp_path):
    app = make_app(PLUGINS_DIR=GOOD_PLUGINS)
    folder = tmp_path / "xh_scaffold_refused"
    (folder / "existing").mkdir(parents=True)
    refusals = {
        "Flyers": "not a valid plugin name",
        "2flyers": "not a valid plugin name",
        "class": "not a valid plugin name",
        "a_name_far_too_long_for_it": "not a valid plugin name",
        "recorder": "already the name of a loaded plugin",
        "admin": "already the name of a loaded plugin or blueprint",
        "existing": "already exists",
        "json": "importable Python module",
    }
    for name, why in refusals.items():
        result = cli(app, "plugins", "new", name, "--dir", str(folder))
        assert result.exit_code == 1 and why in result.output, (name, result.output)
    assert [p.name for p in folder.iterdir()] == ["existing"]


def test_plugins_new_writes_into_plugins_dir_by_default(make_app, tmp_path):
    folder = tmp_path / "xh_scaffold_default"
    folder.mkdir()
    result = cli(make_app(PLUGINS_DIR=str(folder)), "plugins", "new", "potholes")
    assert result.exit_code == 0, result.output
    assert (folder / "potholes/__init__.py").exists() and (folder / "potholes/tests/test_potholes.py").exists()
    assert "move it there" not in result.output


def test_the_skeleton_passes_its_own_tests_and_ruff(make_app, tmp_path):
    folder = tmp_path / "xh_scaffold_selftest"
    folder.mkdir()
    result = new_plugin(make_app(), "pumps", folder)
    assert "move it there or set PLUGINS_DIR" in result.output
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(folder / "pumps")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"\b7 passed\b", tests.stdout) and "warning" not in tests.stdout, tests.stdout
    assert (folder / "pumps/migrations/0001_initial.py").exists()
    lint = ruff(folder, "check", "--config", 'lint.isort.known-first-party=["core"]')
    assert lint.returncode == 0, lint.stdout
    formatted = ruff(folder, "format", "--check")
    assert formatted.returncode == 0, formatted.stdout


def test_the_migration_forms_in_the_docs_pass_ruff(tmp_path):
    blocks = MIGRATION_BLOCK.findall((ROOT / "docs/plugins.md").read_text(encoding="utf-8"))
    assert len(blocks) == 2
    folder = tmp_path / "migrations"
    folder.mkdir()
    for number, block in enumerate(blocks, 1):
        (folder / f"{number:04d}_form.py").write_text(block + "\n", encoding="utf-8")
    lint, formatted = ruff(folder, "check"), ruff(folder, "format", "--check")
    assert (lint.returncode, formatted.returncode) == (0, 0), lint.stdout + formatted.stdout


def test_the_skeleton_has_its_own_complete_catalogue(make_app, tmp_path):
    new_plugin(make_app(), "pumps", tmp_path)
    catalogue = Catalogue("pumps", tmp_path / "pumps", PLUGIN_IGNORED)
    wanted = catalogue.wanted(tmp_path)
    assert {"See the Pumps register", "Mark done"} <= wanted
    assert wanted - catalogue.translated() == set()
    assert (catalogue.folder / "messages.pot").exists()


def test_the_new_plugin_is_in_the_menu_after_upgrade_and_restart(make_app, users, tmp_path):
    folder = tmp_path / "xh_scaffold_menu"
    folder.mkdir()
    first = make_app(PLUGINS_DIR=str(folder))
    new_plugin(first, "flyer_walls", folder)
    assert "flyer_walls" not in first.extensions["xiuhua.plugins"].infos  # loaded at start-up only

    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([pybabel, "-q", "compile", "-d", folder / "flyer_walls/translations"], check=True)
    app = make_app(PLUGINS_DIR=str(folder), WTF_CSRF_ENABLED=True)  # the restart; make_app runs db upgrade
    assert app.extensions["xiuhua.plugins"].infos["flyer_walls"].status == "enabled"
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "admin", "password": "correct-horse-9", "csrf_token": token})
    assert 'href="/flyer-walls/"' in client.get("/").get_data(as_text=True)
    listing = client.get("/flyer-walls/")
    assert listing.status_code == 200 and 'id="flyer_walls-records"' in listing.get_data(as_text=True)
    assert 'href="/flyer-walls/static/flyer_walls.css"' in listing.get_data(as_text=True)
    assert "<th>标题</th>" in listing.get_data(as_text=True)  # from the plugin's own catalogue
    assert client.get("/flyer-walls/static/flyer_walls.css").mimetype == "text/css"

    form = client.get("/flyer-walls/new").get_data(as_text=True)
    data = {"title": "Bridge underpass", "place": "Yanghe bridge", "note": "Phone numbers sprayed", "csrf_token": ""}
    assert client.post("/flyer-walls/new", data=data).status_code == 400  # no token: refused, nothing saved
    refused = client.post("/flyer-walls/new", data={**data, "title": "", "csrf_token": csrf_token(form)})
    assert refused.status_code == 422
    created = client.post("/flyer-walls/new", data={**data, "csrf_token": csrf_token(form)})
    assert created.status_code == 302
    detail = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Bridge underpass" in detail and "Yanghe bridge" in detail and "Phone numbers sprayed" in detail
    assert client.get("/flyer-walls/").get_data(as_text=True).count("Bridge underpass") == 1
    assert client.get("/flyer-walls/999").status_code == 404
