"""The tutorial at the top of docs/plugins.md cannot rot: every code block marked
`<!-- file: PATH -->` is that file or a run of its lines, every file of the tutorial's plugin
(docs/tutorial/flyers/) is shown, the plugin loads and passes its own tests on a fresh database, and
followed step by step on one database upgraded after each step it ends with the same permissions, menu
and pages."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs/plugins.md"
TUTORIAL = ROOT / "docs/tutorial"
PLUGIN = TUTORIAL / "flyers"
MARKER = re.compile(r"^<!-- file: (\S+) -->$", re.M)
BLOCK = re.compile(r"<!-- file: (\S+) -->\n```[a-z]*\n(.*?)\n```\n", re.S)


def tutorial_text() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Tutorial")
    return text[start : text.index("\n## ", start + 1)]


def test_the_page_opens_with_the_tutorial():
    headings = re.findall(r"^## (.+)$", DOC.read_text(encoding="utf-8"), re.M)
    assert headings[0].startswith("Tutorial")


def test_every_marked_block_is_its_file_or_a_run_of_its_lines():
    text = tutorial_text()
    blocks = BLOCK.findall(text)
    assert len(blocks) == len(MARKER.findall(text)) >= 10, "a marker not followed directly by a code block"
    for path, block in blocks:
        assert path.startswith("docs/tutorial/"), path
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        wanted = block.splitlines()
        windows = (lines[i : i + len(wanted)] for i in range(len(lines) - len(wanted) + 1))
        assert any(window == wanted for window in windows), f"the block marked {path} differs from the file"


def test_every_file_of_the_tutorial_plugin_is_shown():
    shown = {path for path, _ in BLOCK.findall(tutorial_text())}
    files = {
        str(p.relative_to(ROOT))
        for p in PLUGIN.rglob("*")
        if p.suffix in (".py", ".html") and p.read_text(encoding="utf-8").strip()
    }
    assert files - shown == set()


def test_the_tutorial_plugin_loads_beside_the_core(make_app, users):
    app = make_app(PLUGINS_DIR=str(TUTORIAL))
    info = app.extensions["xiuhua.plugins"].infos["flyers"]
    assert (info.status, info.version, info.source) == ("enabled", "1.0.0", "folder"), info.error
    listed = app.test_cli_runner().invoke(args=["plugins", "list"]).output
    assert re.search(r"^flyers +1\.0\.0 +folder +enabled$", listed, re.M)
    client = app.test_client()
    client.post("/login", data={"username": "collector", "password": "correct-horse-9"})
    assert 'href="/flyers/"' in client.get("/").get_data(as_text=True)
    assert client.get("/flyers/static/flyers.css").status_code == 200


def test_the_tutorial_plugin_passes_its_own_tests(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(PLUGIN)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b6 passed\b", result.stdout), result.stdout


def steps() -> dict[int, tuple[str, list[str]]]:
    """{number: (text, the files its marked blocks show, first appearance only)} for each step."""
    found = {}
    parts = re.split(r"^### Step (\d+): .*$", tutorial_text(), flags=re.M)
    for number, text in zip(parts[1::2], parts[2::2], strict=True):
        shown = list(dict.fromkeys(MARKER.findall(text)))
        found[int(number)] = (text, shown)
    return found


def test_the_tutorial_on_one_database_upgraded_after_each_step(make_app, users, in_db, tmp_path):
    """The path a developer takes: one database, `flask db upgrade` and a restart after every step. Each step
    writes the files it shows as the finished plugin has them (the skeleton's 0001 migration, applied at
    step 1, stays, and step 3's table is 0002_flyers.py, as step 3 says); the plugin cannot load between
    its model (step 2) and its job (step 7), and `flask db status` says so. After the last step the
    permissions, the menu, the pages and the categories are right on that database too."""
    tutorial = steps()
    assert list(tutorial) == list(range(1, len(tutorial) + 1)) and len(tutorial) >= 9
    assert "0002_flyers.py" in tutorial[3][0]
    new = make_app().test_cli_runner().invoke(args=["plugins", "new", "flyers", "--dir", str(tmp_path / "step1")])
    assert new.exit_code == 0, new.output
    statuses = {}
    for number, (_, shown) in tutorial.items():
        folder = tmp_path / f"step{number}" / "flyers"
        if number > 1:  # a folder of its own: a restart in this process imports the plugin anew
            shutil.copytree(tmp_path / f"step{number - 1}" / "flyers", folder)
        for path in shown:
            relative = Path(path).relative_to(PLUGIN.relative_to(ROOT))
            if relative == Path("migrations/0001_initial.py"):
                relative = Path("migrations/0002_flyers.py")
            if relative.parts[0] == "translations":
                shutil.copytree(PLUGIN / "translations", folder / "translations", dirs_exist_ok=True)
                pybabel = Path(sys.executable).parent / "pybabel"
                subprocess.run([pybabel, "-q", "compile", "-d", folder / "translations"], check=True)
            else:
                shutil.copyfile(ROOT / path, folder / relative)
        app = make_app(PLUGINS_DIR=str(folder.parent))  # the restart, after `flask db upgrade`
        cli = app.test_cli_runner()
        assert cli.invoke(args=["db", "upgrade"]).exit_code == 0
        status = cli.invoke(args=["db", "status"])
        statuses[number] = app.extensions["xiuhua.plugins"].infos["flyers"].status
        assert status.exit_code == (0 if statuses[number] == "enabled" else 1), status.output
        if statuses[number] != "enabled":
            assert "plugin flyers failed to load" in status.output

    assert statuses == {n: "enabled" if n in (1, *range(7, len(tutorial) + 1)) else "failed" for n in tutorial}
    listed = cli.invoke(args=["plugins", "list"]).output
    assert re.search(r"^flyers +1\.0\.0 +folder +enabled$", listed, re.M)
    assert "[x] flyers: 0001_initial" in status.output and "[x] flyers: 0002_flyers" in status.output

    collector = app.test_client()
    collector.post("/login", data={"username": "collector", "password": "correct-horse-9"})
    home = collector.get("/").get_data(as_text=True)
    assert 'href="/flyers/"' in home and "小广告" in home  # the menu, in Chinese from the plugin's catalogue
    assert collector.get("/flyers/").status_code == 200
    saved = collector.post("/flyers/new", data={"place": "Bus stop, Renmin Road", "phone": "13800001234"})
    assert saved.status_code == 302
    assert "Bus stop, Renmin Road" in collector.get(saved.headers["Location"]).get_data(as_text=True)
    leader = app.test_client()
    leader.post("/login", data={"username": "leader", "password": "correct-horse-9"})
    assert (leader.get("/flyers/").status_code, leader.get("/flyers/new").status_code) == (200, 403)

    from core.catalogue.models import Category

    categories = in_db(
        app,
        lambda: {(c.code, c.name, c.retired) for c in Category.select().where(Category.class_code.in_(["91", "99"]))},
    )
    assert categories == {("9101", "小广告", False), ("9901", "Flyers", True)}  # the skeleton's, retired
