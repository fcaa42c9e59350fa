"""Every route declares the permission it needs, and the gate enforces it."""

import pytest

from core.permissions import LOGIN, PUBLIC, is_static, requires
from tests.support import GOOD_PLUGINS, PLUGIN_SETS


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


@pytest.fixture
def flyerish(make_app):
    """restart(roles) → an app whose flyerish.view lists `roles`, after its `flask db upgrade`."""

    def restart(roles):
        plugin.ROLES[:] = roles
        return make_app(PLUGINS_DIR=str(PLUGIN_SETS / "xh_perms"))

    from core.plugins import _import_from_folder

    plugin = _import_from_folder(PLUGIN_SETS / "xh_perms" / "flyerish")
    yield restart
    plugin.ROLES[:] = ["dispatcher"]


def holders(app, permission="flyerish.view") -> set[str]:
    from core.db import db
    from core.org import Role, RolePermission

    with app.app_context(), db.connection_context():
        return {r.code for r in Role.select().join(RolePermission).where(RolePermission.permission == permission)}


def test_declared_default_roles_follow_the_code_from_one_upgrade_to_the_next(flyerish):
    assert holders(flyerish(["dispatcher"])) == {"dispatcher"}
    assert holders(flyerish(["dispatcher", "collector"])) == {"dispatcher", "collector"}  # step 6 of the tutorial
    assert holders(flyerish(["collector"])) == {"collector"}  # dispatchers were given it by the code only


def test_an_administrators_choice_stands_against_later_upgrades(flyerish, users):
    app = flyerish(["dispatcher"])
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": "correct-horse-9"})
    roles = {code: role_id(app, code) for code in ("dispatcher", "leader")}
    revoke = admin.post(f"/admin/roles/{roles['dispatcher']}/grant", data={"permission": "flyerish.view"})
    grant = admin.post(f"/admin/roles/{roles['leader']}/grant", data={"permission": "flyerish.view", "granted": "on"})
    assert (revoke.status_code, grant.status_code) == (200, 200)
    assert holders(app) == {"leader"}
    # the code now names dispatchers and collectors, and no longer leaders: only collectors follow it
    assert holders(flyerish(["dispatcher", "collector"])) == {"leader", "collector"}
    assert holders(flyerish([])) == {"leader"}


def role_id(app, code):
    from core.db import db
    from core.org import Role

    with app.app_context(), db.connection_context():
        return Role.get(Role.code == code).id


def test_migration_0023_takes_earlier_choices_from_the_audit_trail(flyerish, users):
    import importlib.util
    from pathlib import Path

    from playhouse.migrate import SchemaMigrator

    from core.db import db
    from core.org import GrantChoice

    app = flyerish(["dispatcher"])
    admin = app.test_client()
    admin.post("/login", data={"username": "admin", "password": "correct-horse-9"})
    leader, dispatcher = role_id(app, "leader"), role_id(app, "dispatcher")
    for role, granted in ((leader, "on"), (dispatcher, ""), (leader, "")):  # the last choice per role wins
        admin.post(f"/admin/roles/{role}/grant", data={"permission": "flyerish.view", "granted": granted})
    path = Path(__file__).parent.parent / "core/migrations/0023_grant_choices_retired_categories.py"
    spec = importlib.util.spec_from_file_location("grant_choices", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context(), db.connection_context():
        migrator = SchemaMigrator.from_database(db.obj)
        migration.down(migrator, db.obj)  # as the database was before 0023: the audit trail has the choices
        migration.up(migrator, db.obj)
        choices = {(c.role_id, c.permission_id, c.granted) for c in GrantChoice.select()}
    assert choices == {(leader, "flyerish.view", False), (dispatcher, "flyerish.view", False)}
