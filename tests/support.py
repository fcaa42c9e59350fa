"""Helpers shared by the tests (fixtures live in conftest.py)."""

import io
import os
import re
import threading
from pathlib import Path

import pytest
from PIL import Image

from core.testing import ENGLISH, PASSWORD, ROLES, client_for, create_user, in_db, login  # noqa: F401 (the kit's)

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations/zh_Hans_CN/LC_MESSAGES/messages.po"
CATALOGUE_FILES = {
    "2013": ROOT / "data/catalogue/filing-standards-yuncheng.csv",
    "2026": ROOT / "data/catalogue/catalogue-gbt47678.5-2026.csv",
}
EXPORT_POLL = {"HX-Request": "true", "HX-Target": "export-progress"}  # what the progress fragment sends
PLUGIN_SETS = Path(__file__).resolve().parent / "plugin_sets"
GOOD_PLUGINS = str(PLUGIN_SETS / "xh_good")  # "recorder": implements every hook
BROKEN_PLUGINS = str(PLUGIN_SETS / "xh_broken")  # fails at import, at registration, and in menu_items


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def form_errors(response) -> list[str]:
    """The field error messages a form page shows (`<p class="error">` under its fields)."""
    return re.findall(r'<p class="error">(.*?)</p>', response.get_data(as_text=True))


def form_version(client, url: str) -> str:
    """The version of the record an edit form carries (core.editing), as a browser would send it back."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'id="version" name="version" type="hidden" value="([^"]*)"', html)
    assert match, f"no version field on {url}"
    return match.group(1)


def finish(client, location: str, bound=3000) -> str:
    """Poll the progress fragment as the page does, until it stops asking to be polled."""
    for _ in range(bound):
        response = client.get(location, headers=EXPORT_POLL)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "<html" not in body
        if "every 1s" not in body:
            for thread in threading.enumerate():
                if thread.name.startswith("export-"):
                    thread.join(10)
            return body
    pytest.fail("the export did not finish")


def encode(image: Image.Image, fmt="JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(size=(600, 400)) -> Image.Image:
    """Random pixels: a JPEG of them is large, so half of it cuts through the picture data."""
    return Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
