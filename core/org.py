"""Organisation: departments (a tree), roles (sets of permission strings) and users."""

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField
from werkzeug.security import check_password_hash, generate_password_hash

from core import clock
from core.db import BaseModel

DEPARTMENT_TYPES = {
    "command": _l("Command centre"),
    "supervision": _l("Supervision centre"),
    "professional": _l("Professional department"),
    "district": _l("District office"),
    "street": _l("Street office"),
}

# The types of department that handle cases: a case is dispatched only to one of these (never to the
# command or supervision centre, which take, dispatch and supervise cases).
HANDLING_TYPES = ("professional", "district", "street")

# Where a department's handlers' return, extension and suspension requests go (Department.requests_via_head).
REQUEST_ROUTES = {
    "direct": _l("Go straight to the command centre"),
    "head": _l("Go via the department's head first"),
}

LANGUAGES = {"zh_CN": "中文", "en": "English"}


class Department(BaseModel):
    name = CharField(max_length=100)
    code = CharField(max_length=40, unique=True)
    type = CharField(max_length=20, choices=list(DEPARTMENT_TYPES.items()))
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    phone = CharField(max_length=40, default="")
    sort = IntegerField(default=0)
    # A handler's return, extension and suspension requests wait for the department's head first
    # (core.workorders.department); False: they go straight to the centre.
    requests_via_head = BooleanField(default=False)
    version = IntegerField(default=1)  # the edit form's optimistic lock (core/editing.py)

    @property
    def type_label(self):
        return DEPARTMENT_TYPES.get(self.type, self.type)

    def __str__(self):
        return self.name


class Permission(BaseModel):
    """Every permission string ever registered; its grants follow the code's default roles except where an
    administrator decided (GrantChoice)."""

    name = CharField(max_length=80, primary_key=True)
    source = CharField(max_length=60)


class Role(BaseModel):
    code = CharField(max_length=40, unique=True)
    name = CharField(max_length=60)
    builtin = BooleanField(default=False)

    def permission_names(self) -> set[str]:
        return {rp.permission_id for rp in self.grants}


class RolePermission(BaseModel):
    role = ForeignKeyField(Role, backref="grants", on_delete="CASCADE")
    permission = ForeignKeyField(Permission, on_delete="CASCADE")

    class Meta:
        indexes = ((("role", "permission"), True),)


class GrantChoice(BaseModel):
    """An administrator's decision on one role × permission (/admin/roles): from then on it is theirs,
    and the roles the code declares for the permission no longer change it (core.permissions.sync)."""

    role = ForeignKeyField(Role, on_delete="CASCADE")
    permission = ForeignKeyField(Permission, on_delete="CASCADE")
    granted = BooleanField()

    class Meta:
        indexes = ((("role", "permission"), True),)


class User(UserMixin, BaseModel):
    username = CharField(max_length=40, unique=True)
    name = CharField(max_length=60)
    phone = CharField(max_length=30, default="")
    department = ForeignKeyField(Department, null=True, backref="users", on_delete="RESTRICT")
    active = BooleanField(default=True)
    language = CharField(max_length=10, default="zh_CN")
    password_hash = CharField(max_length=255)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_login_at = DateTimeField(null=True)
    session_version = IntegerField(default=0)  # bumped to end every session of the user (core.sessions)
    created_at = DateTimeField(default=clock.now)
    version = IntegerField(default=1)  # the edit form's optimistic lock (core/editing.py)

    @property
    def is_active(self):
        return self.active

    def set_password(self, password: str):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > clock.now()

    def roles(self) -> list[Role]:
        return list(Role.select().join(UserRole).where(UserRole.user == self).order_by(Role.id))

    def permissions(self) -> set[str]:
        """The permissions of the user's roles, read once per request (an administrator's change applies
        on the next request)."""
        cache = g.setdefault("_permissions", {})
        if self.id not in cache:
            rows = (
                RolePermission.select(RolePermission.permission)
                .join(UserRole, on=(UserRole.role == RolePermission.role))
                .where(UserRole.user == self)
            )
            cache[self.id] = {row.permission_id for row in rows}
        return cache[self.id]

    def can(self, permission: str) -> bool:
        return permission in self.permissions()

    def __str__(self):
        return f"{self.name} ({self.username})"


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_links", on_delete="CASCADE")
    role = ForeignKeyField(Role, backref="user_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "role"), True),)


def department_tree() -> list[tuple[int, Department]]:
    """Departments in tree order with their depth, for indented lists and select boxes."""
    departments = list(Department.select().order_by(Department.sort, Department.name))
    children: dict[int | None, list[Department]] = {}
    for dept in departments:
        children.setdefault(dept.parent_id, []).append(dept)
    ordered = []

    def walk(parent_id, depth):
        for dept in children.get(parent_id, []):
            ordered.append((depth, dept))
            walk(dept.id, depth + 1)

    walk(None, 0)
    return ordered


def descendants(dept: Department) -> set[int]:
    """Ids of a department and everything under it."""
    parents = {d.id: d.parent_id for d in Department.select(Department.id, Department.parent)}
    found = {dept.id}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                changed = True
    return found
