"""Who is told: the people holding a role, in one department or anywhere, and the command centre that
stands in when a department has no one. Building blocks for the routing in core.workorders.notifications."""

from peewee import JOIN

from core.org import Role, RolePermission, User, UserRole

# The command centre's people who take up what nobody else can: a department without handlers, a
# return when its dispatcher has left.
CENTRE_ROLES = ("dispatcher", "shift_leader")


def holders(roles, department_id=None) -> list[User]:
    """The active users holding any of `roles`, in `department_id` when given, each once, by name."""
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
    return holders(CENTRE_ROLES)


def or_centre(users: list[User]) -> list[User]:
    """The users, or the centre when there are none."""
    return users or centre()
