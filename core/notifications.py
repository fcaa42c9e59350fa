"""Who is told: the people holding a permission, in some departments or anywhere, and the command centre
that stands in when a department has no one. Recipients are found by what people may do, not by the
codes of their roles, so a bureau that renames its roles or adds its own still reaches the right people.
Building blocks for the routing in core.workorders.notifications."""

from peewee import JOIN

from core.org import Role, RolePermission, User, UserRole

# What the command centre's people may do, who take up what nobody else can: a department without
# handlers, a return when its dispatcher has left, a request nobody at the department can approve.
CENTRE_PERMISSIONS = ("workorder.dispatch", "workorder.approve")


def holders_of(permissions, departments=None) -> list[User]:
    """The active users whose roles grant any of `permissions`, in one of `departments` (ids) when given,
    each once, by name."""
    query = (
        User.select()
        .join(UserRole, JOIN.INNER, on=(UserRole.user == User.id))
        .join(RolePermission, JOIN.INNER, on=(RolePermission.role == UserRole.role))
        .where(RolePermission.permission.in_(list(permissions)) & (User.active == True))
    )
    if departments is not None:
        query = query.where(User.department.in_(list(departments)))
    return list(query.distinct().order_by(User.name, User.id))


def holders(roles, department_id=None) -> list[User]:
    """The active users holding any of the roles with these codes (for tests and the demo's checks: the
    routing goes by permission, holders_of)."""
    query = (
        User.select()
        .join(UserRole, JOIN.INNER, on=(UserRole.user == User.id))
        .join(Role)
        .where(Role.code.in_(list(roles)) & (User.active == True))
    )
    if department_id is not None:
        query = query.where(User.department == department_id)
    return list(query.distinct().order_by(User.name, User.id))


def with_permissions(*permissions) -> list[User]:
    """The active users whose roles grant every one of `permissions`, each once, by name."""
    query = User.select().where(User.active == True)
    for permission in permissions:
        holding = (
            UserRole.select(UserRole.user)
            .join(RolePermission, on=(RolePermission.role == UserRole.role))
            .where(RolePermission.permission == permission)
        )
        query = query.where(User.id.in_(holding))
    return list(query.order_by(User.name, User.id))


def centre() -> list[User]:
    return holders_of(CENTRE_PERMISSIONS)


def or_centre(users: list[User]) -> list[User]:
    """The users, or the centre when there are none."""
    return users or centre()
