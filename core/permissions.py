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
    """Bring hook-registered roles and permissions into the database. New roles are created with
    their permissions; a permission seen for the first time is granted to its default roles. What
    administrators changed since is left alone. Run after migrations (`flask db upgrade`)."""
    from core.org import Permission, Role, RolePermission

    declared = host.items("register_permissions")
    owners = {perm["name"] for _, perm in declared}
    new_roles = []
    for plugin, spec in host.items("register_roles"):
        role, created = Role.get_or_create(
            code=spec["code"], defaults={"name": str(spec["name"]), "builtin": plugin == "builtin"}
        )
        if created:
            new_roles.append((role, spec.get("permissions", [])))
    all_roles = {role.code: role for role in Role.select()}
    for plugin, perm in declared:
        if Permission.get_or_none(Permission.name == perm["name"]) is None:
            Permission.create(name=perm["name"], source=plugin)
            codes = all_roles if "*" in perm.get("roles", []) else perm.get("roles", [])
            for code in codes:
                if code in all_roles:
                    RolePermission.get_or_create(role=all_roles[code], permission=perm["name"])
    for role, names in new_roles:
        for name in names:
            if name in owners:
                RolePermission.get_or_create(role=role, permission=name)


def labels(host) -> dict[str, str]:
    """Permission name → label, for the roles page."""
    return {perm["name"]: str(perm["label"]) for _, perm in host.items("register_permissions")}
