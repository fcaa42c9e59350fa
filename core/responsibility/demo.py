"""The demo city's responsible people (called by core/responsibility/__init__.py's demo_data hook)."""

from core.db import db
from core.org import Department, Role, User, UserRole
from core.responsibility.models import Responsibility


def demo_responsibility(ctx) -> int:
    """Every demo grid gets, for every professional department, that department's handlers and heads as
    responsible people (责任人 / 分管负责人). The collectors' areas are the districts the work-order demo
    gave them. Idempotent. Returns the number of rows added."""
    roles = {r.id: r.code for r in Role.select().where(Role.code.in_(["handler", "dept_head"]))}
    people: dict[int, list[tuple[int, str]]] = {}
    links = (
        UserRole.select(UserRole.role, User.id, User.department)
        .join(User)
        .where(UserRole.role.in_(list(roles)) & (User.active == True))
        .tuples()
    )
    for role_id, user_id, department_id in links:
        role = "责任人" if roles[role_id] == "handler" else "分管负责人"
        people.setdefault(department_id, []).append((user_id, role))
    departments = [d.id for d in Department.select().where(Department.type == "professional") if d.id in people]
    grids = [a.id for a in ctx.areas.values() if a.level == "grid"]
    rows = [
        {"area": grid, "department": dept, "user": user, "role": role}
        for grid in grids
        for dept in departments
        for user, role in people[dept]
    ]
    added = 0
    with db.atomic():
        for start in range(0, len(rows), 400):
            added += Responsibility.insert_many(rows[start : start + 400]).on_conflict_ignore().as_rowcount().execute()
    return added
