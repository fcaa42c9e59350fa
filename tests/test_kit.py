"""The test kit itself (core/testing.py, core/testcity.py, tests/e2e/support.py): its fixtures do what
docs/plugins.md says, no test module imports another one, and the browser tests carry the `e2e` mark."""

import ast
import subprocess
import sys
from pathlib import Path

from flask import current_app
from PIL import Image

from core import photos
from core.org import Department

TESTS = Path(__file__).resolve().parent


def test_no_test_module_imports_another():
    """Shared helpers live in support modules (tests/support.py, tests/*_support.py, tests/e2e/support.py)
    and the kit; a test module importing another one (or a conftest) runs or re-collects its tests."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for module in modules:
                last = module.rsplit(".", 1)[-1]
                if module.startswith("tests") and (last.startswith("test_") or last == "conftest"):
                    found.append(f"{path.relative_to(TESTS.parent)}:{node.lineno} imports {module}")
    assert found == []


def test_every_browser_test_is_marked_e2e_and_only_those():
    def collected(*args):
        command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args]
        result = subprocess.run(command, cwd=TESTS.parent, capture_output=True, text=True, timeout=300)
        return [line for line in result.stdout.splitlines() if "::" in line]

    browser = collected("tests/e2e")
    assert browser and collected("tests/e2e", "-m", "not e2e") == []
    assert collected("tests/e2e", "-m", "e2e") == browser
    assert collected("tests/test_kit.py", "-m", "e2e") == []


def test_in_db_runs_core_code_with_the_app_and_a_connection(app, city, in_db):
    assert in_db(app, lambda: current_app.name) == app.name
    assert in_db(app, lambda: Department.get(Department.code == "sanitation").name) == "环卫处"


def test_client_for_logs_in_any_user_in_the_apps_language(app, english_xiuhua_app, city, client_for):
    chinese = client_for(app, "dispatcher").get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in chinese and "Log out" not in chinese
    english = client_for(english_xiuhua_app(), "other_handler").get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Log out" in english


def test_english_app_speaks_english_before_login(english_app):
    page = english_app.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in to Xiuhua" in page


def test_city_has_departments_grids_a_category_and_a_user_per_role(app, city, in_db):
    assert (city.sanitation.type, city.landscaping.type) == ("professional", "professional")
    assert (city.grid.level, city.other_grid.level) == ("grid", "grid")
    assert city.standard.category == city.category and city.category.default_department == city.sanitation
    assert in_db(app, lambda: city.users["handler"].department.code) == "sanitation"


def test_photo_is_a_stored_jpeg(app, city, photo, in_db):
    assert (photo.mime, photo.width, photo.height, photo.uploaded_by_id) == (
        "image/jpeg",
        64,
        48,
        city.users["collector"].id,
    )
    with Image.open(in_db(app, lambda: photos.path(photo))) as image:
        assert (image.format, image.size) == ("JPEG", (64, 48))


def test_case_is_reported_by_the_collector_in_the_citys_grid(city, case):
    assert (case.status, case.source, case.grid_id, case.reporter_id) == (
        "reported",
        "collector",
        city.grid.id,
        city.users["collector"].id,
    )
