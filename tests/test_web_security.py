"""Redirects stay on this site, whatever `next` holds (issue 19); security headers and cookie flags,
HSTS and `Secure` when production is served over HTTPS."""

import pytest

from core.web import safe_path
from tests.support import PASSWORD

OFF_SITE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/\u200b/evil.example",  # zero-width space: a format character, dropped
    "evil.example",
    "",
    None,
    "//[",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_path_refuses_anything_that_is_not_a_path_here(target):
    assert safe_path(target) is None


@pytest.mark.parametrize(
    "target, path",
    [("/password", "/password"), ("/cases?status=open&page=2", "/cases?status=open&page=2"), ("/a\nb", "/ab")],
)
def test_safe_path_keeps_a_path_here_without_control_characters(target, path):
    assert safe_path(target) == path


def test_login_with_a_tab_in_next_does_not_send_the_browser_off_site(client, users):
    response = client.post("/login?next=%2F%09%2Fevil.example", data={"username": "dispatcher", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_with_a_newline_in_next_redirects_instead_of_failing(client, users):
    response = client.post("/login?next=%2Fpassword%0A%2Fx", data={"username": "dispatcher", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/password/x"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "target, location",
    [("/\n/evil.example", "/"), ("/\t/evil.example", "/"), ("/login\r\nSet-Cookie: x=1", "/loginSet-Cookie:x=1")],
)
def test_lang_with_control_characters_in_next_stays_on_site(client, users, target, location):
    response = client.post("/lang", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_lang_keeps_a_path_here(client, users):
    assert client.post("/lang", data={"lang": "en", "next": "/login?x=1"}).headers["Location"] == "/login?x=1"


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[0]


def test_headers_and_cookie_flags_without_https(client, users):
    response = client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in page.headers


def test_production_over_https_sends_hsts_and_a_secure_cookie(make_app, users):
    app = make_app(ENV="production", HTTPS=True, THROTTLE_EXEMPT_LOOPBACK=False)
    client = app.test_client()
    response = client.post("/login", data={"username": "dispatcher", "password": PASSWORD})
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_https_outside_production_gives_the_secure_cookie_but_no_hsts(make_app, users):
    app = make_app(HTTPS=True)
    response = app.test_client().post("/login", data={"username": "dispatcher", "password": PASSWORD})
    assert "Secure" in session_cookie(response)
    assert "Strict-Transport-Security" not in response.headers


def test_production_without_https_sends_no_hsts(make_app, users):
    app = make_app(ENV="production", THROTTLE_EXEMPT_LOOPBACK=False)
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
