"""The supported surface for plugins: everything a plugin may use of the core, in one module.

A plugin (plugins/, an installed package, the tutorial, what `flask plugins new` writes) imports from
`core.api` only; tests/test_plugin_api.py fails on any other `core.` import there. Its tests may also
use the test kit, `core.testing`. Names here keep their meaning between releases; anything else in
core/ may change without notice. docs/plugin-api.md documents every name with an example.

Eight names are modules, used as `clock.now()`, `audit.record(...)`: clock, settings, audit, photos,
editing, exports, numbers and xlsx; their supported functions are those docs/plugin-api.md lists."""

from core import audit, clock, editing, numbers, photos, settings, xlsx
from core.areas import LEVELS as AREA_LEVELS
from core.areas import Area
from core.attachments.service import attach, attachments_of
from core.attachments.subjects import AttachmentSubject
from core.audit import AuditAction
from core.catalogue.models import Category, FilingStandard
from core.db import BaseModel, JSONField, db
from core.editing import EditForm
from core.exports import api as exports
from core.grids.index import locate
from core.grids.models import shape_of, shapes_on
from core.hookspecs import hookimpl
from core.importing.decoding import ImportRefused, decode_text
from core.importing.pages import ImportKind, status_page, upload_page
from core.map_layers import Band, Measure
from core.notifications.recipients import Recipient, with_permissions
from core.notifications.service import notify, tell
from core.org import Department, User, department_tree, descendants
from core.parsing import ParseError, parse_date, parse_datetime, parse_decimal, parse_float, parse_id, parse_int
from core.permissions import login_required, public, requires, scoped, unscoped
from core.photos import Photo, PhotoError
from core.plugins import (
    GridSection,
    Indicator,
    MapLayer,
    MenuItem,
    NotificationSubject,
    Panel,
    UpgradeStep,
    Widget,
)
from core.responsibility.people import collectors_of, people_for, responsible_for
from core.scheduler import N_, JobSpec, Summary, summary_text
from core.web import message, page, paginate
from core.workorders.actors import SYSTEM, system_actor
from core.workorders.cases import OUTCOMES as CASE_OUTCOMES
from core.workorders.cases import CaseError, conclude, of_origin, open_case
from core.workorders.models import WorkOrder
from core.workorders.scope import can_see as can_see_case
from core.workorders.scope import grid_ids
from core.workorders.scope import visible as visible_cases
from core.workorders.states import STATUSES as CASE_STATUSES
from core.workorders.workflow import WorkflowError, transition
from core.worktime.deadlines import due_at, is_working_day

__all__ = [
    # hooks and what they return
    "hookimpl",
    "MenuItem",
    "Widget",
    "Panel",
    "GridSection",
    "MapLayer",
    "Measure",
    "Band",
    "UpgradeStep",
    "Indicator",
    "AttachmentSubject",
    "JobSpec",
    "Summary",
    "N_",
    "summary_text",
    "ImportKind",
    "upload_page",
    "status_page",
    "decode_text",
    "ImportRefused",
    # pages
    "page",
    "message",
    "paginate",
    "requires",
    "login_required",
    "public",
    "scoped",
    "unscoped",
    "EditForm",
    "ParseError",
    "parse_int",
    "parse_id",
    "parse_float",
    "parse_decimal",
    "parse_date",
    "parse_datetime",
    # data
    "BaseModel",
    "JSONField",
    "db",
    "clock",
    "settings",
    "audit",
    "AuditAction",
    "editing",
    "photos",
    "Photo",
    "attach",
    "attachments_of",
    "PhotoError",
    "exports",
    "xlsx",
    "numbers",
    # cases
    "open_case",
    "conclude",
    "of_origin",
    "CaseError",
    "CASE_OUTCOMES",
    "CASE_STATUSES",
    "transition",
    "WorkflowError",
    "system_actor",
    "SYSTEM",
    "WorkOrder",
    "Category",
    "FilingStandard",
    "due_at",
    "is_working_day",
    # places and people
    "Area",
    "AREA_LEVELS",
    "locate",
    "shape_of",
    "shapes_on",
    "Department",
    "department_tree",
    "descendants",
    "User",
    "collectors_of",
    "responsible_for",
    "people_for",
    "with_permissions",
    # scope
    "visible_cases",
    "can_see_case",
    "grid_ids",
    # notifications
    "notify",
    "Recipient",
    "NotificationSubject",
    "tell",
]
