"""About 90 days of realistic history for the demo city (≈300 cases a day, with returns, reworks,
extensions, suspensions and a few overdue cases), so that every page has life.

Cases are simulated in memory through `workflow.apply` — the same rules as `transition()` — and
written in bulk: tens of thousands of cases in seconds instead of minutes."""

import random
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import click
from peewee import fn

from core import clock, numbers, settings
from core.attachments.models import Attachment
from core.catalogue import dispatch_rules
from core.catalogue.models import Category, FilingStandard
from core.db import db, is_sqlite
from core.org import Department, Role, User, UserRole
from core.responsibility.models import GridAssignment
from core.workorders import states, workflow
from core.workorders.actors import SYSTEM
from core.workorders.models import WorkOrder, WorkOrderEvent
from core.worktime import deadlines
from core.worktime.edits import import_days, read_csv

MARKER = "demo.history"
DATA = Path(__file__).resolve().parent.parent.parent / "data"
# Which demo department handles a category, by the category's class name (2013 edition).
CLASS_DEPARTMENT = {
    "公用设施": "municipal",
    "道路交通": "parking",
    "市容环境": "sanitation",
    "园林绿化": "landscaping",
    "房屋土地": "enforcement",
    "宣传广告": "enforcement",
    "施工管理": "enforcement",
    "街面秩序": "enforcement",
    "突发事件": "municipal",
    "其他设施": "municipal",
    "其他事件": "enforcement",
}
SOURCES = [("collector", 78), ("hotline", 15), ("citizen", 4), ("video", 2), ("leader", 1)]


def prepare_reference_data():
    """The filing standard and the calendar the history needs, from the files shipped in data/."""
    from core.catalogue.importer import import_file

    # Plugins' categories (register_categories) exist from `flask db upgrade` on: they are not the catalogue.
    if not FilingStandard.select().where(~FilingStandard.source.startswith("plugin ")).exists():
        import_file(DATA / "catalogue" / "filing-standards-yuncheng.csv", "filing-standards-yuncheng.csv")
    calendar_file = DATA / "calendar" / "cn-2026.csv"
    rows, errors = read_csv(calendar_file.read_text(encoding="utf-8"))
    if rows and not errors:
        import_days(rows, source=calendar_file.name)
    departments = {d.code: d for d in Department.select()}
    for category in Category.select().where(Category.default_department.is_null()):
        code = CLASS_DEPARTMENT.get(category.class_name, "enforcement")
        if "路灯" in category.name or "灯" in category.name:
            code = "lighting"
        category.default_department = departments.get(code)
        category.save()


_HASHED = {}  # one password hash for every demo person: some sixty of them, each hash ~0.1 s


def _user(username, name, role, department):
    user = User.get_or_none(User.username == username)
    if user is None:
        if not _HASHED:
            _HASHED["demo"] = User()
            _HASHED["demo"].set_password("xiuhua-demo")
        user = User(username=username, name=name, department=department)
        user.password_hash = _HASHED["demo"].password_hash
        user.save()
        UserRole.create(user=user, role=Role.get(Role.code == role))
    return user


def demo_people(ctx):
    """A collector per district (the demo `collector` has the first), and a handler and a head in every
    department that handles cases (sanitation's are the demo `handler` and `depthead`)."""
    collectors = {}
    for index, district in enumerate(a for a in ctx.areas.values() if a.level == "district"):
        user = (
            ctx.users["collector"]
            if index == 0
            else _user(f"collector{index + 1}", f"监督员{index + 1}", "collector", ctx.departments["supervision"])
        )
        GridAssignment.get_or_create(user=user, area=district)
        collectors[district.code] = user
    handlers = {}
    for dept in Department.select().where(Department.type.in_(list(states.HANDLING_TYPES))):
        if dept.code == "sanitation":
            handlers[dept.id] = ctx.users["handler"]
        else:
            handlers[dept.id] = _user(f"handler.{dept.code}", f"{dept.name}处置员", "handler", dept)
            _user(f"head.{dept.code}", f"{dept.name}负责人", "dept_head", dept)  # told of overdue cases
    return collectors, handlers


class Simulation:
    def __init__(self, ctx, days: int, per_day: int, seed: int):
        self.random = random.Random(seed)
        self.now = clock.now()
        self.start = (self.now - timedelta(days=days)).replace(hour=0, minute=0, second=0)
        self.per_day = per_day
        self.collectors, self.handlers = demo_people(ctx)
        self.leader, self.dispatcher = ctx.users["shiftlead"], ctx.users["dispatcher"]
        self.intake = ctx.users["intake"]
        self.grids = [a for a in ctx.areas.values() if a.level == "grid"]
        self.standards = list(
            FilingStandard.select(FilingStandard, Category)
            .join(Category)
            .where((FilingStandard.active == True) & ~FilingStandard.source.startswith("plugin "))
        )
        self.departments = [d for d in Department.select().where(Department.type == "professional")]
        self.department_by_id = {d.id: d for d in self.departments}
        self.orders, self.events = [], []
        self.before, self.after = demo_photo("before"), demo_photo("after")

    def minutes(self, low, high):
        return timedelta(minutes=self.random.randint(low, high))

    def mostly_within(self, limit, late, share=0.95):
        """A centre step: within its limit (minutes) most of the time, up to `late` minutes otherwise."""
        if self.random.random() < share:
            return self.minutes(2, limit - 1)
        return self.minutes(limit + 1, late)

    def step(self, order, at, action, actor, reason="", **data):
        if at > self.now:
            raise StopIteration  # the rest of this case's life has not happened yet
        fields = workflow.apply(order, action, actor, at, reason, data)
        fields["actor"] = fields["actor"].id if fields["actor"] else None
        self.events.append((order, fields))
        return at

    def run(self):
        day, started, told = self.start, time.monotonic(), self.start
        while day < self.now:
            if (day - told).days >= 15:  # a line every 15 simulated days: the whole run takes a minute or two
                click.echo(f"  … {day:%Y-%m-%d}: {len(self.orders):,} cases ({time.monotonic() - started:.0f} s)")
                told = day
            weekend = day.weekday() >= 5
            count = int(self.random.gauss(self.per_day * (0.75 if weekend else 1.05), self.per_day * 0.08))
            for _ in range(max(count, 0)):
                at = day + timedelta(minutes=self.random.randint(7 * 60, 20 * 60))
                if at < self.now:
                    self.case(at)
            day += timedelta(days=1)
        return self

    def case(self, at):
        r = self.random
        standard = r.choice(self.standards)
        grid = r.choice(self.grids)
        collector = self.collectors[grid.code[:6]]
        source = r.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
        reporter = collector if source == "collector" else self.intake
        number = f"{at.year}-{self.next_seq(at.year):06d}"
        order = workflow.new_order(
            reporter, source, at, number, category=standard.category, grid=grid,
            description=f"{standard.category.name}：{standard.filing_condition}", address=f"{grid.name}附近",
        )  # fmt: skip
        order.id = self.next_id
        self.next_id += 1
        order.version = 1
        self.orders.append(order)
        self.events.append((order, {"at": at, "actor": reporter.id, "actor_name": reporter.username, "action": "create",
                                    "from_status": "", "to_status": order.status, "department": None, "reason": "",
                                    "data": {"source": source}}))  # fmt: skip
        try:
            self.life(order, standard, collector, at)
        except StopIteration:
            pass

    def life(self, order, standard, collector, at):
        r = self.random
        if order.status == "to_verify":
            if r.random() < 0.02:
                self.step(order, at + self.minutes(3, 15), "reject", self.intake, "不属于城市管理范围")
                return
            at = self.step(
                order,
                at + self.minutes(20, 120),
                *(("verify_true", collector) if r.random() > 0.04 else ("verify_false", collector, "现场未发现")),
            )
            if order.status == "voided":
                return
        if r.random() < 0.02:
            self.step(order, at + self.minutes(5, 30), "void", self.leader, "重复上报")
            return
        at = self.step(order, at + self.mostly_within(30, 60), "file", self.leader, standard=standard)
        # the suggestion when it is a department with a demo handler (street offices have none)
        department = (
            self.department_by_id.get(order.suggested_department_id)
            or self.department_by_id.get(order.category.default_department_id)
            or r.choice(self.departments)
        )
        if r.random() < 0.03:
            at = self.step(
                order, at + self.minutes(5, 30), "dispatch", self.dispatcher, department=r.choice(self.departments).id
            )
            at = self.step(
                order, at + self.minutes(30, 120), "return", self.handlers[order.department_id], "不属于本单位职责"
            )
        at = self.step(order, at + self.mostly_within(15, 40), "dispatch", self.dispatcher, department=department)
        handler = self.handlers[department.id]
        at = self.step(order, at + self.minutes(10, 90), "accept", handler)
        for round_ in range(3):
            ask_at = at + self.minutes(30, 120) if round_ == 0 and r.random() < 0.007 else None
            if ask_at and ask_at < order.due_at:  # once overdue a suspension can no longer be asked for
                at = self.step(
                    order,
                    ask_at,
                    "request_suspension",
                    handler,
                    "需等待资金或季节",
                    until=(at + timedelta(days=r.randint(10, 40))).date().isoformat(),
                )
                at = self.step(order, at + self.minutes(20, 90), "approve_suspension", self.dispatcher)
                at = self.step(
                    order, order.suspended_until + timedelta(minutes=5), "resume", SYSTEM, "suspension ended"
                )
            share = r.uniform(0.15, 0.95) if r.random() > 0.06 else r.uniform(1.05, 1.8)
            room = order.due_at - at > timedelta(minutes=2)
            if share > 0.85 and room and r.random() < 0.5 and order.extensions < 2:
                ask = deadlines.due_at(at, Decimal(order.limit_value) * Decimal("0.7"), order.limit_unit)
                ask = min(ask, order.due_at - timedelta(minutes=1))
                at = self.step(
                    order, max(ask, at + timedelta(minutes=1)), "request_extension", handler, "需要调配人员和材料"
                )
                decision = (
                    ("approve_extension", self.dispatcher)
                    if r.random() < 0.75
                    else ("refuse_extension", self.dispatcher, "时限内可完成")
                )
                at = self.step(order, at + self.minutes(10, 60), *decision)
            done = deadlines.due_at(
                order.stage_started_at, Decimal(order.limit_value) * Decimal(str(round(share, 2))), order.limit_unit
            )
            at = self.step(
                order,
                max(done, at + timedelta(minutes=5)),
                "report_handled",
                handler,
                "已按要求处置完毕",
                photos=[self.after.id],
            )
            at += self.minutes(30, 180)
            if round_ < 2 and r.random() < 0.04:
                at = self.step(order, at, "check_fail", collector, "现场复核未处置到位")
                continue
            at = self.step(order, at, "check_pass", collector)
            break
        self.step(order, at + self.minutes(10, 60), "close", self.leader)

    def next_seq(self, year):
        self.seqs[year] = self.seqs.get(year, 0) + 1
        return self.seqs[year]


def demo_photo(kind: str):
    """A generated picture standing in for the photos of the simulated cases."""
    import io

    from PIL import Image, ImageDraw

    from core import photos

    image = Image.new("RGB", (640, 480), (150, 60, 50) if kind == "before" else (60, 130, 80))
    draw = ImageDraw.Draw(image)
    for x in range(0, 640, 40):
        draw.line([(x, 0), (x + 200, 480)], fill=(255, 255, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    buffer.seek(0)
    return photos.store(buffer, f"demo-{kind}.jpg")


def load_history(ctx, days=90, per_day=300, seed=2018):
    """Idempotent: does nothing when the demo history exists already."""
    if settings.get(MARKER) or WorkOrder.select().exists():
        return 0
    prepare_reference_data()
    click.echo(f"simulating {days} days of cases, about {per_day} a day (this takes a minute)...")
    sim = Simulation(ctx, days, per_day, seed)
    sim.next_id = (WorkOrder.select(fn.MAX(WorkOrder.id)).scalar() or 0) + 1
    sim.seqs = {}
    with dispatch_rules.batch():
        sim.run()
    click.echo(f"  writing {len(sim.orders):,} cases and {len(sim.events):,} events...")
    fields = [f for f in WorkOrder._meta.sorted_fields]
    with db.atomic():
        for chunk in range(0, len(sim.orders), 500):
            rows = [{f.name: getattr(o, f.name) for f in fields} for o in sim.orders[chunk : chunk + 500]]
            WorkOrder.insert_many(rows).execute()
        events = [{**fields_, "order": order.id} for order, fields_ in sim.events]
        for chunk in range(0, len(events), 1000):
            WorkOrderEvent.insert_many(events[chunk : chunk + 1000]).execute()
        links = [
            {
                "subject_kind": "workorder",
                "subject_id": o.id,
                "photo": sim.before.id,
                "stage": "report",
                "added_at": o.reported_at,
            }
            for o in sim.orders
        ]
        links += [
            {
                "subject_kind": "workorder",
                "subject_id": o.id,
                "photo": sim.after.id,
                "stage": "handling",
                "added_at": o.handled_at or o.reported_at,
            }
            for o in sim.orders
            if o.handled_at or o.status in ("checked", "closed")
        ]
        for chunk in range(0, len(links), 1000):
            Attachment.insert_many(links[chunk : chunk + 1000]).execute()
        for year, last in sim.seqs.items():
            numbers.continue_after(workflow.CASE_SERIES, year, last)
        if not is_sqlite():
            db.execute_sql(
                "SELECT setval(pg_get_serial_sequence('work_order', 'id'), (SELECT MAX(id) FROM work_order))"
            )
            db.execute_sql(
                "SELECT setval(pg_get_serial_sequence('work_order_event', 'id'), (SELECT MAX(id) FROM work_order_event))"
            )
        settings.put(MARKER, str(len(sim.orders)))
    internal_work(ctx)
    return len(sim.orders)


def internal_work(ctx):
    """Sanitation's requests go via its head (depthead): the head has assigned the handler a case, and
    one of the handler's extension requests waits for the head. Done through the workflow, as people
    would, once the history is written (the history itself is the same for every setting)."""
    sanitation = Department.get_or_none(Department.code == "sanitation")
    head, handler = ctx.users.get("depthead"), ctx.users.get("handler")
    if sanitation is None or head is None or handler is None:
        return
    Department.update(requests_via_head=True).where(Department.id == sanitation.id).execute()
    open_cases = (
        WorkOrder.select()
        .where(
            (WorkOrder.department == sanitation.id)
            & WorkOrder.status.in_(["dispatched", "handling"])
            & (WorkOrder.extension_requested == False)
            & WorkOrder.suspension_requested_until.is_null()
            & (WorkOrder.due_at > clock.now())
        )
        .order_by(WorkOrder.id)
        .limit(2)
    )
    steps = [
        ("assign", head, "请负责处置", {"assignee": handler.id}),
        ("request_extension", handler, "需要调配车辆", {}),
    ]
    for order, (action, actor, reason, data) in zip(list(open_cases), steps, strict=False):
        try:
            workflow.transition(order.id, action, actor=actor, version=order.version, reason=reason, data=data)
        except workflow.WorkflowError as error:  # pragma: no cover - the demo goes on without it
            click.echo(f"  {order.number}: {error.message}")
