"""Every route declares the permission it needs, and the gate enforces it."""

import pytest

from core.permissions import LOGIN, PUBLIC, is_static, requires
from tests.support import GOOD_PLUGINS


def undeclared_endpoints(app):
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if not is_static(rule.endpoint) and getattr(app.view_functions[rule.endpoint], "permission", None) is None
    )


def test_every_route_declares_a_permission(make_app):
    app = make_app(PLUGINS_DIR=GOOD_PLUGINS)
    assert "recorder.index" in app.view_functions
    assert undeclared_endpoints(app) == []


def test_the_check_catches_a_route_without_a_declaration(make_app):
    app = make_app()

    @app.route("/forgot")
    def forgot():
        return "oops"

    assert undeclared_endpoints(app) == ["forgot"]
    # And the gate refuses it at run time rather than serving it unprotected.
    assert app.test_client().get("/forgot").status_code == 403


def test_every_declared_permission_is_registered(make_app):
    from core.permissions import labels

    app = make_app(PLUGINS_DIR=GOOD_PLUGINS)
    known = set(labels(app.extensions["xiuhua.plugins"])) | {PUBLIC, LOGIN}
    used = {getattr(view, "permission", None) for name, view in app.view_functions.items() if not is_static(name)}
    assert used <= known


ADMIN_PAGES = ["/admin/users", "/admin/departments", "/admin/roles", "/admin/plugins", "/admin/jobs"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize(
    "role", ["intake", "shift_leader", "dispatcher", "collector", "handler", "dept_head", "leader"]
)
def test_non_admins_are_refused_admin_pages(as_role, role, url):
    response = as_role(role).get(url)
    assert response.status_code == 403
    assert "没有执行此操作的权限" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ADMIN_PAGES + ["/admin/audit"])
def test_admin_sees_every_admin_page(as_role, url):
    assert as_role("admin").get(url).status_code == 200


@pytest.mark.parametrize("role", ["admin", "evaluator", "leader"])
def test_audit_log_is_readable_by_admin_evaluator_and_leader(as_role, role):
    assert as_role(role).get("/admin/audit").status_code == 200


def test_anonymous_visitor_is_sent_to_login(client):
    for url in ["/", *ADMIN_PAGES]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_post_actions_are_guarded_too(as_role, users):
    dispatcher = as_role("dispatcher")
    assert dispatcher.post(f"/admin/users/{users['collector'].id}/unlock").status_code == 403
    assert dispatcher.post("/admin/departments/1/delete").status_code == 403
    assert (
        dispatcher.post("/admin/roles/1/grant", data={"permission": "admin.users", "granted": "on"}).status_code == 403
    )


def test_a_revoked_permission_takes_effect_at_once(as_role, users):
    admin = as_role("admin")
    evaluator = as_role("evaluator")
    assert evaluator.get("/admin/audit").status_code == 200
    role_id = users["evaluator"].roles()[0].id
    assert admin.post(f"/admin/roles/{role_id}/grant", data={"permission": "admin.audit"}).status_code == 200
    assert evaluator.get("/admin/audit").status_code == 403


def test_menu_shows_only_what_the_user_may_open(as_role):
    admin_page = as_role("admin").get("/").get_data(as_text=True)
    collector_page = as_role("collector").get("/").get_data(as_text=True)
    assert 'href="/admin/users"' in admin_page
    assert 'href="/admin/users"' not in collector_page


def test_requires_marks_the_view():
    @requires("x.y")
    def view():
        pass

    assert view.permission == "x.y"


def test_static_files_are_served_to_anonymous_visitors(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["Content-Type"]
