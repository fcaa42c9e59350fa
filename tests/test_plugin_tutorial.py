"""The tutorial at the top of docs/plugins.md cannot rot: every code block marked
`<!-- file: PATH -->` is that file or a run of its lines, every file of the tutorial's plugin
(docs/tutorial/flyers/) is shown, and the plugin loads and passes its own tests."""

import os
import re
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
