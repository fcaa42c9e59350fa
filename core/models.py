"""Every core table, in one list: what the core migrations create and tests/test_migrations.py
compares against the migrated schema."""

from core.areas import Area
from core.audit import AuditEntry
from core.org import Department, Permission, Role, RolePermission, User, UserRole
from core.scheduler import JobRun, ScheduledJob
from core.settings import Setting

MODELS = [Department, Permission, Role, RolePermission, User, UserRole, AuditEntry, Setting, Area, ScheduledJob, JobRun]
