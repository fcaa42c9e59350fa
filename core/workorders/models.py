"""Work orders (案件), their append-only event log, photos by stage, the users'
saved list filters, the yearly number counter and the report forms' idempotency keys. (Collectors'
grid assignments are core.responsibility's.)"""

from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from core import clock
from core.areas import Area
from core.catalogue.models import Category, FilingStandard
from core.components.models import Component
from core.db import BaseModel, JSONField
from core.org import Department, User

SOURCES = {
    "collector": _l("Collector patrol"),
    "hotline": _l("Hotline (12345/12319)"),
    "citizen": _l("Citizen report"),
    "video": _l("Video patrol"),
    "leader": _l("Leader's instruction"),
    "campaign": _l("Special campaign"),
}


class WorkOrder(BaseModel):
    number = CharField(max_length=20, unique=True)  # "2026-000123": year and sequence, read out on the phone
    source = CharField(max_length=20, index=True)
    status = CharField(max_length=20, index=True)
    version = IntegerField(default=1)  # optimistic lock: every transition increments it
    category = ForeignKeyField(Category, null=True, on_delete="RESTRICT")
    standard = ForeignKeyField(FilingStandard, null=True, on_delete="SET NULL")
    grid = ForeignKeyField(Area, null=True, on_delete="RESTRICT", index=False)  # leads an index in Meta
    # Where it was dispatched (None until then: a department sees a case only once it is dispatched to it).
    department = ForeignKeyField(Department, null=True, on_delete="RESTRICT", index=True)
    description = TextField(default="")
    address = CharField(max_length=200, default="")
    latitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = DecimalField(max_digits=9, decimal_places=6, null=True)
    reporter = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="reported_orders")
    caller_name = CharField(max_length=60, default="")  # citizen reports: never shown in public views
    caller_phone = CharField(max_length=30, default="")
    tracking_code = CharField(max_length=12, null=True, unique=True)
    # The handling time limit, copied from the filing standard when filed: later edits of the
    # standard do not rewrite an existing case's deadline.
    limit_value = DecimalField(max_digits=8, decimal_places=2, null=True)
    limit_unit = CharField(max_length=20, default="")
    limit_season = CharField(max_length=20, default="")  # "planting": counted in the season (种植季节15工作日)
    clock_from = DateTimeField(null=True)  # a seasonal round's clock start, when the season made it wait
    # Milestones (null until reached).
    reported_at = DateTimeField(index=True)
    filed_at = DateTimeField(null=True)
    dispatched_at = DateTimeField(null=True)  # the first dispatch: the handling clock starts here
    handled_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True, index=True)
    due_at = DateTimeField(null=True, index=True)  # handling deadline, moved by extensions and suspensions
    # The clock of the stage the case is in now (intake, verify, file, dispatch, handle, check, close).
    stage = CharField(max_length=12, default="")
    stage_started_at = DateTimeField(null=True)
    stage_due_at = DateTimeField(null=True)
    stage_warn_at = DateTimeField(null=True)  # when its light turns yellow: what sorting by light reads
    stage_unit = CharField(max_length=20, default="")
    extensions = IntegerField(default=0)
    extension_requested = BooleanField(default=False)
    suspension_requested_until = DateTimeField(null=True)
    suspended_from = DateTimeField(null=True)
    suspended_until = DateTimeField(null=True)
    suspensions = IntegerField(default=0)
    reworks = IntegerField(default=0)
    returns = IntegerField(default=0)
    resume_status = CharField(max_length=20, default="")  # where a suspended case goes back to
    component = ForeignKeyField(Component, null=True, on_delete="SET NULL", index=True)  # the census entry it is about
    # Where core.catalogue.dispatch_rules suggests dispatching it (set when reported and when filed).
    suggested_department = ForeignKeyField(Department, null=True, on_delete="SET NULL", backref="suggested_orders")
    # A case a campaign opened (core.workorders.cases.open_case): the plugin, the kind of its object, its id.
    origin_plugin = CharField(max_length=40, default="")
    origin_kind = CharField(max_length=40, default="")
    origin_id = CharField(max_length=40, default="")
    # How a concluded case ended (core.workorders.cases.OUTCOMES); "" for one the loop itself ended
    # (closed, voided, not accepted) and while open.
    outcome = CharField(max_length=20, default="")
    outside_areas = BooleanField(default=False)  # a collector's report from outside their patrol areas
    # The handler the department's head gave the case to (core.workorders.department); None: every
    # handler of the department. Ends with the department's round (a return, a new dispatch).
    assignee = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="assigned_orders", index=False)
    # The request ("return", "extension", "suspension") waiting for the department's head; "" none.
    head_request = CharField(max_length=12, default="")

    class Meta:
        # The inboxes: a status (or a department's statuses), most urgent first; the lists filtered by
        # grid, category and status (answered from the index alone, without reading the table).
        indexes = (
            (("status", "stage_due_at"), False),
            (("department", "status", "stage_due_at"), False),
            (("grid", "category", "status", "stage_due_at"), False),
            (("origin_plugin", "origin_kind", "origin_id"), False),  # a campaign finding its cases
            # the lists sorted by number or by time since the report (core.workorders.queries.COLUMNS)
            (("status", "number"), False),
            (("status", "reported_at"), False),
            (("status", "due_at"), False),  # overdue now: at a department, handling deadline passed
            (("assignee", "status", "stage_due_at"), False),  # a handler's "assigned to me" box
        )

    @property
    def origin(self) -> tuple[str, str, str] | None:
        return (self.origin_plugin, self.origin_kind, self.origin_id) if self.origin_plugin else None

    def __str__(self):
        return self.number


class WorkOrderEvent(BaseModel):
    """Append-only: one row for every change of a case. Everything measured is derived from here."""

    order = ForeignKeyField(WorkOrder, backref="events", on_delete="CASCADE")
    at = DateTimeField(index=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_name = CharField(max_length=60, default="")
    action = CharField(max_length=24, index=True)
    from_status = CharField(max_length=20, default="")
    to_status = CharField(max_length=20, default="")
    department = ForeignKeyField(Department, null=True, on_delete="SET NULL")  # responsible after the event
    reason = TextField(default="")
    data = JSONField(null=True)

    class Meta:
        # Figures over a period count events of given actions in a time range (core/dashboard/figures.py).
        indexes = ((("action", "at"), False),)


class SavedFilter(BaseModel):
    """A user's named filter and sort of the case list (core.workorders.views.filters): the list's query
    string, kept as it was saved and read back through the list's own checks."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    name = CharField(max_length=60)
    query = CharField(max_length=1000)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "saved_filter"
        indexes = ((("user", "name"), True),)


class SubmissionKey(BaseModel):
    """The idempotency key a report form carried, and the case its first post created: a repeat of the
    post (a retry on a poor connection, a second tap) finds that case instead of making another
    (core.workorders.submissions). The primary key makes two simultaneous posts unable to both create."""

    key = CharField(max_length=64, primary_key=True)
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    order = ForeignKeyField(WorkOrder, on_delete="CASCADE", backref="+")
    created_at = DateTimeField(index=True)


class MergedCaller(BaseModel):
    """Another caller about a case already open (core.workorders.hotline.merge): kept beside the case,
    told the case's tracking number, and named on the case page for the centre only."""

    order = ForeignKeyField(WorkOrder, backref="merged_callers", on_delete="CASCADE")
    event = ForeignKeyField(WorkOrderEvent, null=True, on_delete="SET NULL")
    caller_name = CharField(max_length=60, default="")
    caller_phone = CharField(max_length=30, default="", index=True)  # found by the lists' search
    tracking_code = CharField(max_length=12, null=True)  # the case's, as it was read to this caller
    at = DateTimeField()
    operator = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")


class CallBack(BaseModel):
    """The centre's call to a caller once their case is closed: whether they are satisfied. Recorded
    for evaluation (docs/evaluation.md), not yet one of its indicators."""

    order = ForeignKeyField(WorkOrder, backref="call_backs", on_delete="CASCADE")
    event = ForeignKeyField(WorkOrderEvent, null=True, on_delete="SET NULL")
    at = DateTimeField(index=True)
    caller = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")  # the operator who called
    caller_name = CharField(max_length=60, default="")
    outcome = CharField(max_length=20)  # core.workorders.hotline.CALL_BACK_OUTCOMES
    note = TextField(default="")
