"""Permission strings, the built-in roles, and the one rule every view follows: it declares what it
needs (`@requires("admin.users")`, `@login_required`, or `@public`) and core.auth enforces it before
the view runs. A view that declares nothing is refused (and tests/test_permissions.py fails).

A view whose URL has arguments also declares whether one of them names an object the user must be in
scope for (`@scoped("order_id", kind="workorder")`: the view answers 404 for a case outside the user's
scope) or not (`@unscoped`: whoever holds the permission may open every one). The view does the check;
tests/test_route_matrix.py reads the declarations and tries every route as every built-in role with an
object in and one out of scope (its KINDS say how to make them), and fails for a route with arguments
that declares neither."""

from flask_babel import lazy_gettext as _l

PUBLIC = "public"
LOGIN = "login"

CORE_PERMISSIONS = [
    {"name": "dashboard.view", "label": _l("See the home dashboard"), "roles": ["*"]},
    {"name": "admin.users", "label": _l("Manage users"), "roles": ["admin"]},
    {"name": "admin.departments", "label": _l("Manage departments"), "roles": ["admin"]},
    {"name": "admin.roles", "label": _l("Edit roles and their permissions"), "roles": ["admin"]},
    {"name": "admin.audit", "label": _l("Read the audit log"), "roles": ["admin", "evaluator", "leader"]},
    {"name": "admin.plugins", "label": _l("See plugins and their status"), "roles": ["admin"]},
    {"name": "admin.jobs", "label": _l("See and run scheduled jobs"), "roles": ["admin"]},
]

BUILTIN_ROLES = [
    {"code": "admin", "name": _l("Administrator")},
    {"code": "intake", "name": _l("Intake operator")},
    {"code": "shift_leader", "name": _l("Shift leader")},
    {"code": "dispatcher", "name": _l("Dispatcher")},
    {"code": "collector", "name": _l("Collector")},
    {"code": "handler", "name": _l("Department handler")},
    {"code": "dept_head", "name": _l("Department head")},
    {"code": "evaluator", "name": _l("Evaluator")},
    {"code": "leader", "name": _l("Leader (read-only)")},
]


def is_static(endpoint: str) -> bool:
    """Static files (the app's and every blueprint's) are public: CSS and scripts for the login page."""
    return endpoint == "static" or endpoint.endswith(".static")


def _declare(value):
    def decorate(view):
        view.permission = value
        return view

    return decorate


def requires(permission: str):
    """The view needs a logged-in user holding `permission`."""
    return _declare(permission)


public = _declare(PUBLIC)
login_required = _declare(LOGIN)


def scoped(argument: str, kind: str):
    """The URL argument `argument` names an object of `kind` ("workorder", "vehicle", "export",
    "upload"...); for one outside the user's scope the view answers 404, as if it did not exist."""

    def decorate(view):
        view.scope = (argument, kind)
        return view

    return decorate


def unscoped(view):
    """The view's URL arguments name nothing the user must be in scope for: everyone holding the
    permission may open every one (an administrator's users, the catalogue, the unit grids)."""
    view.scope = None
    return view


def role_label(role) -> str:
    """Built-in roles show their translated name; roles made by administrators show theirs."""
    for builtin in BUILTIN_ROLES:
        if builtin["code"] == role.code:
            return str(builtin["name"])
    return role.name


def sync(host):
    """Bring hook-registered roles and permissions into the database (after migrations, `flask db
    upgrade`). New roles are created. Every grant of a registered permission follows the code — the
    roles the permission lists, and the roles that list it — except where an administrator decided on
    /admin/roles (GrantChoice), which stands. Permissions no plugin registers now are left alone."""
    from core.org import GrantChoice, Permission, Role, RolePermission

    declared = host.items("register_permissions")
    for plugin, spec in host.items("register_roles"):
        Role.get_or_create(code=spec["code"], defaults={"name": str(spec["name"]), "builtin": plugin == "builtin"})
    known = {perm.name for perm in Permission.select()}
    for plugin, perm in declared:
        if perm["name"] not in known:
            Permission.create(name=perm["name"], source=plugin)
    roles = list(Role.select())
    wanted = default_grants(host, [role.code for role in roles])
    chosen = {(c.role_id, c.permission_id) for c in GrantChoice.select()}
    held = {(g.role_id, g.permission_id) for g in RolePermission.select()}
    for _, perm in declared:
        for role in roles:
            grant = (role.id, perm["name"])
            if grant in chosen or (grant in held) == ((role.code, perm["name"]) in wanted):
                continue
            if grant in held:
                RolePermission.delete().where(
                    (RolePermission.role == role) & (RolePermission.permission == perm["name"])
                ).execute()
            else:
                RolePermission.create(role=role, permission=perm["name"])


def default_grants(host, role_codes: list[str]) -> set[tuple[str, str]]:
    """(role code, permission) for every grant the code declares: a permission's `roles` ("*": every
    role there is) and a registered role's `permissions`."""
    names = {perm["name"] for _, perm in host.items("register_permissions")}
    grants = set()
    for _, perm in host.items("register_permissions"):
        listed = perm.get("roles", [])
        grants |= {(code, perm["name"]) for code in (role_codes if "*" in listed else listed)}
    for _, spec in host.items("register_roles"):
        grants |= {(spec["code"], name) for name in spec.get("permissions", []) if name in names}
    return grants


def labels(host) -> dict[str, str]:
    """Permission name → label, for the roles page."""
    return {perm["name"]: str(perm["label"]) for _, perm in host.items("register_permissions")}
