"""Admin pages: users, departments, roles; every change audited; bad input refused cleanly."""

from datetime import datetime

from core.audit import AuditEntry
from core.db import db
from core.org import Department, Role, RolePermission, User, UserRole
from tests.support import PASSWORD, form_version, login


def audit_rows(action):
    with db.connection_context():
        return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


def new_user_form(**overrides):
    data = {
        "username": "wang.wu",
        "name": "王五",
        "phone": "13800000000",
        "department": "0",
        "roles": [],
        "language": "zh_CN",
        "active": "y",
        "password": "initial-pass-1",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_user_who_can_log_in(app, as_role, users):
    admin = as_role("admin")
    with db.connection_context():
        role = Role.get(Role.code == "collector")
    response = admin.post("/admin/users/new", data=new_user_form(roles=[str(role.id)]))
    assert response.status_code == 302
    with db.connection_context():
        user = User.get(User.username == "wang.wu")
        assert [r.code for r in user.roles()] == ["collector"]
    [entry] = audit_rows("user.create")
    assert entry.actor_name == "admin"
    assert entry.after["username"] == "wang.wu" and entry.after["roles"] == ["collector"]
    assert "initial-pass-1" not in str(entry.after)
    assert login(app.test_client(), "wang.wu", "initial-pass-1").status_code == 302


def test_duplicate_username_is_refused_with_a_message(as_role, users):
    admin = as_role("admin")
    response = admin.post("/admin/users/new", data=new_user_form(username="Dispatcher"))
    assert response.status_code == 422
    assert "用户名已被占用" in response.get_data(as_text=True)
    with db.connection_context():
        assert User.select().count() == len(users)
    assert audit_rows("user.create") == []


def test_new_user_needs_a_password(as_role, users):
    response = as_role("admin").post("/admin/users/new", data=new_user_form(password=""))
    assert response.status_code == 422
    with db.connection_context():
        assert not User.select().where(User.username == "wang.wu").exists()


def test_editing_a_user_records_before_and_after(as_role, users):
    admin = as_role("admin")
    target = users["collector"]
    with db.connection_context():
        dispatcher_role = Role.get(Role.code == "dispatcher")
    form = new_user_form(
        username="collector",
        name="新名字",
        department=str(target.department_id),
        roles=[str(dispatcher_role.id)],
        password="",
    )
    form["version"] = form_version(admin, f"/admin/users/{target.id}")
    assert admin.post(f"/admin/users/{target.id}", data=form).status_code == 302
    [entry] = audit_rows("user.update")
    assert entry.before == {"name": "Collector", "phone": "", "roles": ["collector"]}
    assert entry.after == {"name": "新名字", "phone": "13800000000", "roles": ["dispatcher"]}
    # The password was left empty: it still works.
    client = admin.application.test_client()
    assert login(client, "collector", PASSWORD).status_code == 302


def test_saving_over_someone_elses_change_is_refused(app, as_role, users):
    first, second = as_role("admin"), app.test_client()
    login(second, "admin")
    target = users["collector"]
    url = f"/admin/users/{target.id}"
    with db.connection_context():
        role_ids = [str(r.id) for r in target.roles()]
    base = new_user_form(username="collector", department=str(target.department_id), roles=role_ids, password="")
    first_form = {**base, "name": "第一位的修改", "version": form_version(first, url)}
    second_form = {**base, "name": "第二位的修改", "version": form_version(second, url)}
    assert first.post(url, data=first_form).status_code == 302
    response = second.post(url, data=second_form)
    assert response.status_code == 409
    assert "第一位的修改" in response.get_data(as_text=True)  # what the first one changed, from the audit log
    with db.connection_context():
        assert User.get_by_id(target.id).name == "第一位的修改"
    assert len(audit_rows("user.update")) == 1


def test_admin_cannot_disable_own_account(as_role, users):
    admin = as_role("admin")
    me = users["admin"]
    with db.connection_context():
        role_ids = [str(r.id) for r in me.roles()]
    form = new_user_form(username="admin", name="Admin", roles=role_ids, password="")
    form.pop("active")
    form["version"] = form_version(admin, f"/admin/users/{me.id}")
    response = admin.post(f"/admin/users/{me.id}", data=form)
    assert response.status_code == 422
    with db.connection_context():
        assert User.get_by_id(me.id).active


def test_unknown_user_page_is_404(as_role, users):
    assert as_role("admin").get("/admin/users/99999").status_code == 404


def test_user_search_returns_only_the_rows_fragment_to_htmx(as_role, users):
    admin = as_role("admin")
    response = admin.get("/admin/users?q=dispat", headers={"HX-Request": "true", "HX-Target": "user-rows"})
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert "dispatcher" in html and ">collector<" not in html
    # A boosted navigation also sends HX-Request but targets the body: it gets the full page.
    full = admin.get("/admin/users?q=dispat", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in full.get_data(as_text=True)


def test_department_create_edit_and_delete(as_role, users):
    admin = as_role("admin")
    form = {"name": "路灯管理处", "code": "lighting", "type": "professional", "parent": "0", "phone": "", "sort": "3"}
    assert admin.post("/admin/departments/new", data=form).status_code == 302
    with db.connection_context():
        dept = Department.get(Department.code == "lighting")
    form["name"] = "路灯所"
    form["version"] = form_version(admin, f"/admin/departments/{dept.id}")
    assert admin.post(f"/admin/departments/{dept.id}", data=form).status_code == 302
    [update] = audit_rows("department.update")
    assert update.before == {"name": "路灯管理处"} and update.after == {"name": "路灯所"}
    assert admin.post(f"/admin/departments/{dept.id}/delete").status_code == 302
    with db.connection_context():
        assert not Department.select().where(Department.code == "lighting").exists()
    assert len(audit_rows("department.delete")) == 1


def test_duplicate_department_code_is_refused(as_role, users):
    form = {"name": "重复", "code": "COMMAND", "type": "command", "parent": "0", "phone": "", "sort": "0"}
    response = as_role("admin").post("/admin/departments/new", data=form)
    assert response.status_code == 422
    assert "已有其他部门使用此编码" in response.get_data(as_text=True)


def test_department_with_users_is_not_deleted(as_role, users):
    admin = as_role("admin")
    centre = users["admin"].department
    response = admin.post(f"/admin/departments/{centre.id}/delete", follow_redirects=True)
    assert "未删除任何内容" in response.get_data(as_text=True)
    with db.connection_context():
        assert Department.get_or_none(Department.id == centre.id) is not None
    assert audit_rows("department.delete") == []


def test_department_with_sub_departments_is_not_deleted(as_role, users):
    admin = as_role("admin")
    with db.connection_context():
        parent = Department.create(name="区城管局", code="d1", type="district")
        Department.create(name="街道城管办", code="s1", type="street", parent=parent)
    admin.post(f"/admin/departments/{parent.id}/delete")
    with db.connection_context():
        assert Department.get_or_none(Department.id == parent.id) is not None


def test_department_cannot_become_its_own_ancestor(as_role, users):
    admin = as_role("admin")
    with db.connection_context():
        parent = Department.create(name="区城管局", code="d1", type="district")
        child = Department.create(name="街道城管办", code="s1", type="street", parent=parent)
    form = {"name": "区城管局", "code": "d1", "type": "district", "parent": str(child.id), "phone": "", "sort": "0"}
    form["version"] = form_version(admin, f"/admin/departments/{parent.id}")
    response = admin.post(f"/admin/departments/{parent.id}", data=form)
    assert response.status_code == 422
    with db.connection_context():
        assert Department.get_by_id(parent.id).parent_id is None


def test_role_permission_toggle_is_audited(as_role, users):
    admin = as_role("admin")
    with db.connection_context():
        collector = Role.get(Role.code == "collector")
    response = admin.post(
        f"/admin/roles/{collector.id}/grant",
        data={"permission": "admin.audit", "granted": "on"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "checked" in response.get_data(as_text=True)
    with db.connection_context():
        assert (
            RolePermission.select()
            .where((RolePermission.role == collector) & (RolePermission.permission == "admin.audit"))
            .exists()
        )
    admin.post(f"/admin/roles/{collector.id}/grant", data={"permission": "admin.audit"})
    with db.connection_context():
        assert (
            not RolePermission.select()
            .where((RolePermission.role == collector) & (RolePermission.permission == "admin.audit"))
            .exists()
        )
    assert [e.action for e in audit_rows("role.grant") + audit_rows("role.revoke")] == ["role.grant", "role.revoke"]


def test_admin_role_keeps_the_right_to_edit_roles(as_role, users):
    admin = as_role("admin")
    with db.connection_context():
        admin_role = Role.get(Role.code == "admin")
    response = admin.post(
        f"/admin/roles/{admin_role.id}/grant", data={"permission": "admin.roles"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#messages"
    assert admin.get("/admin/roles").status_code == 200


def test_unknown_permission_toggle_is_404(as_role, users):
    assert as_role("admin").post("/admin/roles/1/grant", data={"permission": "no.such"}).status_code == 404


def test_admin_creates_a_role(as_role, users):
    admin = as_role("admin")
    assert admin.post("/admin/roles", data={"code": "night_shift", "name": "夜班"}).status_code == 302
    response = admin.post("/admin/roles", data={"code": "night_shift", "name": "夜班"})
    assert response.status_code == 422
    with db.connection_context():
        assert Role.select().where(Role.code == "night_shift").count() == 1
    assert len(audit_rows("role.create")) == 1


def test_audit_page_lists_and_filters(as_role, users):
    admin = as_role("admin")
    admin.post("/admin/roles", data={"code": "night_shift", "name": "夜班"})
    page = admin.get("/admin/audit?action=role.").get_data(as_text=True)
    assert "role.create" in page
    assert "night_shift" in page
    assert "role.create" not in admin.get("/admin/audit?action=user.").get_data(as_text=True)


def test_deleting_a_user_role_link_is_not_possible_from_other_roles(as_role, users):
    with db.connection_context():
        before = UserRole.select().count()
    as_role("collector").post(f"/admin/users/{users['admin'].id}", data=new_user_form(username="admin", password=""))
    with db.connection_context():
        assert UserRole.select().count() == before


def test_first_administrator_from_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "chief", "--name", "局长", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "chief", "long-enough-1").status_code == 302
    again = runner.invoke(args=["users", "create", "chief", "--name", "x", "--password", "long-enough-1"])
    assert again.exit_code != 0 and "exists already" in again.output
    bad_role = runner.invoke(
        args=["users", "create", "x", "--name", "x", "--role", "king", "--password", "long-enough-1"]
    )
    assert bad_role.exit_code != 0 and "no role 'king'" in bad_role.output
    short = runner.invoke(args=["users", "create", "y", "--name", "y", "--password", "short"])
    assert short.exit_code != 0
    with db.connection_context():
        assert User.select().count() == 1
        assert AuditEntry.select().where(AuditEntry.action == "user.create").count() == 1


def test_unlock_from_the_command_line(app, users):
    with db.connection_context():
        User.update(locked_until=datetime(2099, 1, 1)).where(User.username == "collector").execute()
    assert login(app.test_client(), "collector").status_code == 422
    result = app.test_cli_runner().invoke(args=["users", "unlock", "collector"])
    assert result.exit_code == 0
    assert login(app.test_client(), "collector").status_code == 302
    assert app.test_cli_runner().invoke(args=["users", "unlock", "nobody"]).exit_code != 0


def visible(html: str) -> str:
    """The text a reader sees: tags (and so attributes) dropped, whitespace collapsed."""
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_audit_log_tells_each_entry_as_a_sentence_in_the_readers_language(app, as_role, users):
    from core import audit

    admin = as_role("admin")
    target = users["collector"]
    form = new_user_form(username="collector", name="新名字", department=str(target.department_id), password="")
    form["version"] = form_version(admin, f"/admin/users/{target.id}")
    assert admin.post(f"/admin/users/{target.id}", data=form).status_code == 302
    with app.app_context(), db.connection_context():  # a plugin's action, written by a job (no one logged in)
        audit.record(
            "zombie_cars.outcome", "zombie_car", 7, "湘F3K721", before={"stage": "notified"},
            after={"stage": "moved", "note": "车主已自行移走"},
        )  # fmt: skip
    with db.connection_context():
        collector = Role.get(Role.code == "collector")
    admin.post(f"/admin/roles/{collector.id}/grant", data={"permission": "admin.audit", "granted": "on"})
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert "\\u" not in html and "新名字" in html and "车主已自行移走" in html
    assert f'<a href="/admin/users/{target.id}">collector</a>' in html  # the object, linked
    assert '<a href="/campaigns/zombie-cars/7">湘F3K721</a>' in html  # the plugin's own action, linked
    text = visible(html)
    for code in ("zombie_cars.outcome", "user.update", '"name"', "stage", "notified", "角色: collector"):
        assert code not in text, code
    admin.post("/lang", data={"lang": "en"})
    text = visible(admin.get("/admin/audit").get_data(as_text=True))
    assert "the system ended the case of the vehicle 湘F3K721" in text
    assert "Stage: Notice posted → Moved by the owner" in text
    assert f"{users['admin'].name} changed user collector" in text and "Name: Collector → 新名字" in text
    assert "Roles: Collector → —" in text or "Roles: 监督员 → —" in text  # the role's name, not its code
    assert f"granted a permission to role {collector.name} Read the audit log: no → yes" in text
