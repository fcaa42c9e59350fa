"""Who is told: a user; the people holding a permission (or a role), in a department or anywhere; the
command centre that stands in when nobody else is found; a party's contact (a phone number or an e-mail
address: told through the notify hook only, never a login). `Recipient` is one of these, resolved to
users by `users()`; the functions below are its building blocks (and the case routing's, in
core.workorders.notifications). Recipients are found by what people may do, not by the codes of their
roles, so a bureau that renames its roles or adds its own still reaches the right people."""

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Recipient:
    """Whom `core.notifications.service.notify` tells. Make one with the constructors: `Recipient.user(u)`,
    `Recipient.permission("workorder.handle", department=5)`, `Recipient.role("dept_head", department=5)`,
    `Recipient.centre()`, `Recipient.or_centre(other)`, `Recipient.contact("13800000000", name="张三")`."""

    form: str
    values: tuple = ()
    department: int | None = None
    name: str = ""
    inner: tuple = field(default=())

    @classmethod
    def user(cls, user) -> "Recipient":
        return cls("user", (user.id if isinstance(user, User) else int(user),))

    @classmethod
    def permission(cls, *permissions, department=None) -> "Recipient":
        """The active users holding any of `permissions`, in `department` (an id, or a Department) when given."""
        return cls("permission", tuple(permissions), getattr(department, "id", department))

    @classmethod
    def all_permissions(cls, *permissions) -> "Recipient":
        """The active users holding every one of `permissions` (with_permissions)."""
        return cls("all_permissions", tuple(permissions))

    @classmethod
    def role(cls, *roles, department=None) -> "Recipient":
        return cls("role", tuple(roles), getattr(department, "id", department))

    @classmethod
    def centre(cls) -> "Recipient":
        return cls("permission", CENTRE_PERMISSIONS)

    @classmethod
    def or_centre(cls, *recipients) -> "Recipient":
        """These recipients' users, or the centre when they are nobody."""
        return cls("or_centre", inner=tuple(recipients))

    @classmethod
    def contact(cls, address: str, name: str = "") -> "Recipient":
        """A party's phone number or e-mail address: logged (ContactNotice) and handed to the notify hook."""
        return cls("contact", (str(address).strip(),), name=name)

    @property
    def is_contact(self) -> bool:
        return self.form == "contact"

    def users(self) -> list[User]:
        """The active users this recipient stands for ([] for a contact)."""
        if self.form == "user":
            return list(User.select().where((User.id == self.values[0]) & (User.active == True)))
        if self.form == "permission":
            return holders_of(self.values, None if self.department is None else [self.department])
        if self.form == "all_permissions":
            return with_permissions(*self.values)
        if self.form == "role":
            return holders(self.values, self.department)
        if self.form == "or_centre":
            return or_centre([user for inner in self.inner for user in inner.users()])
        return []
