"""Helpers shared by the tests (fixtures live in conftest.py)."""

import re
from pathlib import Path

from core.testing import PASSWORD, ROLES, create_user, login  # noqa: F401 (the kit's, re-exported)

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
