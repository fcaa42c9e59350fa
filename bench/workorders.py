"""Work-order pages at scale: generate N cases (default 1,000,000) into a fresh database, then measure
the dispatcher inbox, a department inbox, a filtered list and the case page against a floor (a bare
route rendering the same rows from one raw SQL statement, see bench/_floor.py).

    .venv/bin/python bench/workorders.py [--orders 1000000] [--requests 200] [--db sqlite|URL] [--out bench/out]

The generation runs in a child process, so the peak memory printed at the end is the web process's own
(the measuring process only builds the app and serves the requests). Everything is seeded, and the
application's clock is frozen at NOW: the same arguments give the same database and the same pages.
See bench/README.md for what is measured and the figures."""

import argparse
import cProfile
import heapq
import io
import json
import math
import os
import pstats
import random
import re
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import _floor  # noqa: E402

from app import create_app  # noqa: E402
from core import clock  # noqa: E402
from core import db as dbmod  # noqa: E402
from core import demo as city  # noqa: E402
from core.areas import Area  # noqa: E402
from core.attachments.models import Attachment  # noqa: E402
from core.catalogue.models import Category, FilingStandard  # noqa: E402
from core.db import db, is_sqlite  # noqa: E402
from core.notifications.models import Notification  # noqa: E402
from core.numbers import NumberSeries, continue_after  # noqa: E402
from core.org import Department, Role, User, UserRole  # noqa: E402
from core.photos import Photo  # noqa: E402
from core.responsibility.models import GridAssignment  # noqa: E402
from core.timelimits import parse_limit  # noqa: E402
from core.workorders import effects, states, workflow  # noqa: E402
from core.workorders.demo import prepare_reference_data  # noqa: E402
from core.workorders.models import (  # noqa: E402
    WorkOrder,
    WorkOrderEvent,
)
from core.worktime import deadlines  # noqa: E402

NOW = datetime(2026, 11, 18, 10, 30)  # a Wednesday morning: the application's clock during the whole run
YEARS = 3
SEED = 20261118
PASSWORD = city.DEMO_PASSWORD
TARGET_RATIO, TARGET_MS = 2.0, 100.0
STREET = "430602001"  # the filtered list: one street (岳阳楼街道) ...
STATUS_FILTER = "closed"  # ... closed cases, of the most reported category (found after generation)
FINAL_SHARES = [("closed", 0.93), ("voided", 0.05), ("rejected", 0.02)]
SOURCE_WEIGHTS = [("collector", 78), ("hotline", 15), ("citizen", 4), ("video", 2), ("leader", 1)]
# Rough wall-clock hours of one unit, to place events in time before the real deadline is computed.
WALL_HOURS = {"hour": 1, "urgent_hour": 1, "work_hour": 3, "day": 24, "urgent_day": 24, "work_day": 34}
# Minutes spent in the current status by an open case (mean of an exponential), by status.
DWELL = {"to_verify": 60, "reported": 20, "filed": 12, "returned": 30, "dispatched": 45, "handled": 80, "checked": 40}
REASONS = {
    "reject": "不属于城市管理范围",
    "verify_false": "现场未发现",
    "void": "重复上报",
    "return": "不属于本单位职责",
    "report_handled": "已按要求处置完毕",
    "request_extension": "需要调配人员和材料",
    "refuse_extension": "时限内可完成",
    "request_suspension": "需等待资金或季节",
    "check_fail": "现场复核未处置到位",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
TRACKING = workflow.TRACKING_ALPHABET
CHUNK = 500  # rows per INSERT (40 columns: 20,000 parameters, under SQLite's 32,766)
CHUNKS_PER_TRANSACTION = 40


# --- the app -----------------------------------------------------------------------------------------


def database_url(args) -> str:
    if args.db == "sqlite":
        return f"sqlite:///{Path(args.out).resolve() / f'workorders-{args.orders}.sqlite3'}"
    return args.db


def build_app(args):
    out = Path(args.out).resolve()
    return create_app(
        {
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "DATABASE_URL": database_url(args),
            "INSTANCE_PATH": str(out / "instance"),
            "SCHEDULER_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "DEMO_HISTORY_DAYS": 0,
        }
    )


def run_file(args, kind: str) -> Path:
    """bench/out/workorders-1000000-sqlite.json (what the generator made), results-1000000-sqlite.json."""
    return Path(args.out, f"{kind}-{args.orders}-{'sqlite' if args.db == 'sqlite' else 'postgresql'}.json")


def fresh_database(url: str):
    """Remove the SQLite file, or empty a PostgreSQL database whose name says it is a benchmark's."""
    if url.startswith("sqlite"):
        path = Path(urlparse(url).path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to wipe database {name!r}: its name must contain 'bench'")
    database = dbmod.open_database(url)
    with database.connection_context():
        database.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    database.close()


# --- generation --------------------------------------------------------------------------------------


class City:
    """What the generator draws from: the demo city's grids, people and departments, the filing standard."""

    def __init__(self, r: random.Random):
        self.users = {u.username: u for u in User.select()}
        self.names = {u.id: u.username for u in self.users.values()}
        self.shiftlead = self.users["shiftlead"].id
        self.dispatcher = self.users["dispatcher"].id
        self.intake = self.users["intake"].id
        self.collector_of = {
            ga.area.code: ga.user_id
            for ga in GridAssignment.select(GridAssignment, Area).join(Area).where(Area.level == "district")
        }
        handler_role = Role.get(Role.code == "handler")
        self.handler_of = {}
        for user in User.select().join(UserRole).where(UserRole.role == handler_role).order_by(User.id):
            self.handler_of.setdefault(user.department_id, user.id)
        departments = list(Department.select())
        self.office_of = {d.code[len("district-") :]: d.id for d in departments if d.type == "district"}
        self.professional = [d.id for d in departments if d.type == "professional"]
        # Grids: some busy (the old town), most quiet. Each has a centre for the coordinates.
        self.grids = [
            (a.id, a.code, a.name, 29.37 + r.uniform(-0.08, 0.08), 113.13 + r.uniform(-0.1, 0.1))
            for a in Area.select().where(Area.level == "grid").order_by(Area.code)
        ]
        self.grid_weights = list(_cumulative([r.lognormvariate(0, 0.8) for _ in self.grids]))
        # Filing-standard rows: a few categories (exposed rubbish, street stalls...) make most cases.
        self.standards = list(
            FilingStandard.select(FilingStandard, Category)
            .join(Category)
            .where(FilingStandard.active == True)
            .order_by(FilingStandard.id)
        )
        ranks = list(range(len(self.standards)))
        r.shuffle(ranks)
        self.standard_weights = list(_cumulative([1 / (rank + 4) ** 1.1 for rank in ranks]))
        self.busiest_standard = self.standards[ranks.index(0)]
        rules = effects.Rules()
        self.stage_limits = {stage: parse_limit(text) for stage, text in rules.stage_limits.items()}
        self.calendar = deadlines.current_calendar()
        self.photos = [p.id for p in Photo.select(Photo.id).order_by(Photo.id)][:2]  # demo_photo("before"), ("after")


def _cumulative(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


class Case:
    """One case's life as a list of steps (action, at, actor, from, to, department, reason, data), from
    which both the row and its timeline are derived: they cannot disagree."""

    __slots__ = ("source", "grid", "standard", "steps", "status", "department", "until_days")

    def __init__(self, source, grid, standard):
        self.source, self.grid, self.standard = source, grid, standard
        self.steps, self.status, self.department, self.until_days = [], "", None, 0

    def step(self, action, at, actor, to=None, department=None, data=None):
        before = self.status
        self.status = to or before
        if department is not None:
            self.department = department
        self.steps.append([action, at, actor, before, self.status, self.department, REASONS.get(action, ""), data])
        return at


class Generator:
    def __init__(self, place: City, seed: int):
        self.city = place
        self.seed = seed

    # -- one case, forwards in time: stops when it reaches `target` ----------------------------------

    def life(self, r: random.Random, target: str, at: datetime, final: bool) -> Case:
        c = self.city
        source = (
            r.choices(["hotline", "citizen"], [15, 4])[0]
            if target == "to_verify"
            else r.choices([s for s, _ in SOURCE_WEIGHTS], [w for _, w in SOURCE_WEIGHTS])[0]
        )
        grid = c.grids[_pick(r, c.grid_weights)]
        standard = c.standards[_pick(r, c.standard_weights)]
        case = Case(source, grid, standard)
        collector = c.collector_of[grid[1][:6]]
        reporter = collector if source == "collector" else c.intake
        minutes = lambda low, high: timedelta(minutes=r.randint(low, high))  # noqa: E731
        at = case.step(
            "create",
            at,
            reporter,
            "to_verify" if source in ("hotline", "citizen") else "reported",
            None,
            {"source": source},
        )
        if target == "rejected":
            case.step("reject", at + minutes(3, 15), c.intake, "rejected")
            return case
        if case.status == "to_verify":
            if target == "to_verify":
                return case
            if target == "voided" and r.random() < 0.5:
                case.step("verify_false", at + minutes(20, 120), collector, "voided")
                return case
            at = case.step("verify_true", at + minutes(20, 120), collector, "reported")
        if target == "reported":
            return case
        if target == "voided":
            case.step("void", at + minutes(5, 30), c.shiftlead, "voided")
            return case
        data = {"standard": standard.id, "limit": standard.limit_text}
        at = case.step("file", at + minutes(5, 40), c.shiftlead, "filed", None, data)
        if target == "filed":
            return case
        right = c.office_of[grid[1][:6]] if r.random() < 0.1 else standard.category.default_department_id
        if target == "returned" or r.random() < 0.03:
            wrong = r.choice([d for d in c.professional if d != right])
            at = case.step("dispatch", at + minutes(5, 30), c.dispatcher, "dispatched", wrong, {"department": wrong})
            at = case.step("return", at + minutes(30, 120), c.handler_of[wrong], "returned")
            if target == "returned":
                return case
        at = case.step("dispatch", at + minutes(5, 30), c.dispatcher, "dispatched", right, {"department": right})
        if target == "dispatched":
            return case
        handler = c.handler_of[right]
        limit_hours = float(standard.limit_value) * WALL_HOURS[standard.limit_unit]
        for round_ in range(3):
            at = case.step("accept", at + minutes(10, 90), handler, "handling")
            started = at
            if target == "handling":
                if r.random() < 0.04:
                    case.step("request_extension", at + minutes(30, 240), handler)
                elif r.random() < 0.01:
                    case.until_days = r.randint(10, 40)
                    case.step("request_suspension", at + minutes(30, 240), handler)
                return case
            if target == "suspended":
                case.until_days = r.randint(10, 40)
                at = case.step("request_suspension", at + minutes(30, 240), handler)
                case.step("approve_suspension", at + minutes(20, 90), c.dispatcher, "suspended")
                return case
            if final and round_ == 0 and r.random() < 0.04:
                at = case.step("request_extension", at + minutes(30, 240), handler)
                decision = "approve_extension" if r.random() < 0.75 else "refuse_extension"
                at = case.step(decision, at + minutes(10, 60), c.dispatcher)
            share = r.uniform(0.1, 0.95) if r.random() > 0.06 else r.uniform(1.05, 1.8)
            done = started + timedelta(hours=limit_hours * share)
            data = {"photos": [c.photos[1]]}
            at = case.step("report_handled", max(done, at + minutes(5, 30)), handler, "handled", None, data)
            if target == "handled":
                return case
            at += minutes(30, 180)
            if round_ < 2 and r.random() < 0.04:
                at = case.step("check_fail", at, collector, "dispatched")
                continue
            at = case.step("check_pass", at, collector, "checked")
            break
        if target == "checked":
            return case
        case.step("close", at + minutes(10, 60), c.shiftlead, "closed")
        return case

    def open_case(self, status: str, seed: int) -> Case:
        """An open case, placed so that it entered its current status a realistic while before NOW."""
        r = random.Random(seed)
        case = self.life(r, status, NOW - timedelta(days=60), final=False)
        if status == "suspended":
            dwell = timedelta(minutes=r.randint(0, 8 * 24 * 60))
        elif status == "handling":
            hours = float(case.standard.limit_value) * WALL_HOURS[case.standard.limit_unit]
            dwell = timedelta(hours=hours * r.uniform(0, 1.3))
        else:
            dwell = timedelta(minutes=r.expovariate(1 / DWELL[status]))
        last = max(s[1] for s in case.steps if s[4] != s[3] or s[0] == "create")
        shift = (NOW - dwell) - last
        for s in case.steps:
            s[1] = (s[1] + shift).replace(microsecond=0)
        if case.steps[-1][1] > NOW:  # a pending request asked "after" NOW: asked just now instead
            case.steps[-1][1] = NOW - timedelta(minutes=1)
        return case

    # -- the row, from the steps ---------------------------------------------------------------------

    def row(self, case: Case, order_id: int, number: str) -> dict:
        c, cal = self.city, self.city.calendar
        standard, grid = case.standard, case.grid
        category = standard.category
        row = dict(BLANK)
        first = case.steps[0]
        row.update(
            id=order_id,
            number=number,
            source=case.source,
            status=case.status,
            version=len(case.steps),
            category=category.id,
            grid=grid[0],
            description=f"{category.name}：{standard.filing_condition}",
            address=f"{grid[2]}附近",
            latitude=Decimal(f"{grid[3] + (order_id % 997 - 498) * 2e-6:.6f}"),
            longitude=Decimal(f"{grid[4] + (order_id % 991 - 495) * 2e-6:.6f}"),
            reporter=first[2],
            reported_at=first[1],
            department=case.department,
            suggested_department=category.default_department_id,
        )
        if case.source in ("hotline", "citizen"):
            row["tracking_code"] = tracking_code(order_id)
            row["caller_name"] = SURNAMES[order_id % len(SURNAMES)] + ("先生" if order_id % 2 else "女士")
            row["caller_phone"] = f"1{3 + order_id % 7}{order_id * 7919 % 10**9:09d}"
        due = None
        clock_start = None  # when the current stage's clock started
        limit = (standard.limit_value, standard.limit_unit)
        for action, at, _actor, before, after, _dept, _reason, _data in case.steps:
            if action == "file":
                row.update(standard=standard.id, limit_value=limit[0], limit_unit=limit[1], filed_at=at)
            elif action == "dispatch":
                row["dispatched_at"] = row["dispatched_at"] or at
                due = deadlines.due_at(at, limit[0], limit[1], calendar=cal)
            elif action == "approve_extension":
                row["extensions"] += 1
                due = deadlines.due_at(due, limit[0], limit[1], calendar=cal)
            elif action == "check_fail":
                row["reworks"] += 1
                row["handled_at"] = None
                due = deadlines.due_at(at, limit[0], limit[1], calendar=cal)
            elif action == "return":
                row["returns"] += 1
            elif action == "report_handled":
                row["handled_at"] = at
            elif action == "close":
                row["closed_at"] = at
            elif action == "request_extension":
                row["extension_requested"] = True
            elif action in ("approve_extension", "refuse_extension"):
                row["extension_requested"] = False
            elif action == "request_suspension":
                row["suspension_requested_until"] = _day(at + timedelta(days=case.until_days))
            elif action == "approve_suspension":
                row.update(
                    suspensions=1,
                    resume_status=before,
                    suspended_from=at,
                    suspended_until=max(row["suspension_requested_until"], _day(NOW + timedelta(days=1))),
                    suspension_requested_until=None,
                )
            if action in ("return", "report_handled"):  # effects._apply_return, _apply_handled
                row.update(extension_requested=False, suspension_requested_until=None)
            if after != before and action not in effects.KEEP_CLOCK:
                clock_start = at
        row["due_at"] = due
        if case.status in states.FINAL:
            return row
        stage = states.STAGE_OF[case.status] if case.status != "suspended" else "handle"
        row.update(stage=stage, stage_started_at=clock_start)
        if stage == "handle":
            row.update(stage_due_at=due, stage_unit=limit[1])
        else:
            stage_limit = c.stage_limits[stage]
            row.update(
                stage_due_at=deadlines.due_at(clock_start, stage_limit.value, stage_limit.unit, calendar=cal),
                stage_unit=stage_limit.unit,
            )
        if row["stage_due_at"]:  # clocks.warn_time
            row["stage_warn_at"] = deadlines.warn_at(clock_start, row["stage_due_at"], row["stage_unit"], calendar=cal)
        return row

    def events(self, case: Case, order_id: int, row: dict) -> list[dict]:
        names = self.city.names
        events = []
        for action, at, actor, before, after, dept, reason, data in case.steps:
            if action == "request_suspension":
                data = {"until": row["suspension_requested_until"] or row["suspended_until"]}
                data = {"until": data["until"].isoformat()} if data["until"] else None
            events.append(
                {
                    "order": order_id,
                    "at": at,
                    "actor": actor,
                    "actor_name": names.get(actor, "system"),
                    "action": action,
                    "from_status": before,
                    "to_status": after,
                    "department": dept,
                    "reason": reason,
                    "data": data,
                }
            )
        return events

    # -- the streams of cases in time order ----------------------------------------------------------

    def final_stream(self, r: random.Random, count: int):
        """Closed, voided and refused cases, reported over YEARS years up to yesterday: more on weekdays,
        a seasonal swell, slow growth. Yields (reported_at, kind, None) in time order."""
        start = (NOW - timedelta(days=365 * YEARS)).replace(hour=0, minute=0)
        days = 365 * YEARS - 1
        weights = []
        for d in range(days):
            day = start + timedelta(days=d)
            weekday = 0.75 if day.weekday() >= 5 else 1.05
            season = 1 + 0.15 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 100) / 365)
            weights.append(weekday * season * (0.8 + 0.4 * d / days) * r.uniform(0.9, 1.1))
        total, running, given = sum(weights), 0.0, 0
        kinds = [k for k, _ in FINAL_SHARES]
        shares = [s for _, s in FINAL_SHARES]
        for d, w in enumerate(weights):
            running += w
            n = round(count * running / total) - given
            given += n
            day = start + timedelta(days=d)
            for second in sorted(r.randint(7 * 3600, 20 * 3600) for _ in range(n)):
                yield day + timedelta(seconds=second), r.choices(kinds, shares)[0], None

    def open_stream(self, r: random.Random, per_status: int):
        """Open cases, `per_status` at each open status. Yields (reported_at, status, seed) in time order."""
        placed = []
        for status in sorted(states.OPEN):
            for _ in range(per_status):
                seed = r.getrandbits(48)
                placed.append((self.open_case(status, seed).steps[0][1], status, seed))
        placed.sort()
        yield from placed


BLANK = {
    "version": 1,
    "standard": None,
    "department": None,
    "component": None,
    "suggested_department": None,
    "latitude": None,
    "longitude": None,
    "caller_name": "",
    "caller_phone": "",
    "tracking_code": None,
    "limit_value": None,
    "limit_unit": "",
    "limit_season": "",
    "clock_from": None,
    "filed_at": None,
    "dispatched_at": None,
    "handled_at": None,
    "closed_at": None,
    "due_at": None,
    "stage": "",
    "stage_started_at": None,
    "stage_due_at": None,
    "stage_warn_at": None,
    "stage_unit": "",
    "extensions": 0,
    "extension_requested": False,
    "suspension_requested_until": None,
    "suspended_from": None,
    "suspended_until": None,
    "suspensions": 0,
    "reworks": 0,
    "returns": 0,
    "resume_status": "",
    "origin_plugin": "",
    "origin_kind": "",
    "origin_id": "",
    "outcome": "",
    "outside_areas": False,
    "assignee": None,
    "head_request": "",
}


def _pick(r: random.Random, cumulative: list[float]) -> int:
    from bisect import bisect_right

    return min(bisect_right(cumulative, r.random() * cumulative[-1]), len(cumulative) - 1)


def _day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def tracking_code(order_id: int) -> str:
    """Unique by construction: an odd multiplier is a bijection modulo 2**40 (8 characters of 5 bits)."""
    x = (order_id * 0x5DEECE66D + 0xB) % (1 << 40)
    raw = "".join(TRACKING[(x >> (5 * i)) & 31] for i in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def insert_rows(fields, rows):
    """WorkOrder.insert_many for a chunk of rows. On SQLite the statement insert_many builds for one row
    is run with executemany: peewee otherwise spends most of the generation building SQL text value by
    value (40 columns x 1M rows). Values go through each field's db_value either way."""
    if not is_sqlite():
        WorkOrder.insert_many(rows, fields=fields).execute()
        return
    sql, params = WorkOrder.insert_many(rows[:1], fields=fields).sql()
    assert len(params) == len(fields), "a value was inlined into the statement"
    convert = [field.db_value for field in fields]
    db.cursor().executemany(sql, [[to_db(v) for to_db, v in zip(convert, row, strict=True)] for row in rows])


def _compress(case: Case, latest: datetime):
    """A closed case reported yesterday cannot end tomorrow: squeeze its life to end before NOW."""
    start, end = case.steps[0][1], case.steps[-1][1]
    if end <= latest:
        return
    factor = (latest - start) / (end - start)
    for s in case.steps:
        s[1] = (start + (s[1] - start) * factor).replace(microsecond=0)


def generate(args) -> dict:
    """Build the database: schema, the demo city, the filing standard, then N cases. Runs in a child."""
    url = database_url(args)
    fresh_database(url)
    Path(args.out, "instance").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with clock.frozen(NOW):
        app = build_app(args)
        dbmod.upgrade(app)
        with app.app_context(), db.connection_context():
            city.load(app)
            prepare_reference_data()
            # The demo's own history (a few of today's cases with DEMO_HISTORY_DAYS=0) goes: N means N.
            for model in (Notification, Attachment, WorkOrderEvent, WorkOrder, NumberSeries):
                model.delete().execute()
            setup = time.perf_counter() - started
            print(f"schema, demo city and filing standard: {setup:.1f} s", flush=True)
            meta = _generate_orders(args)
            meta["setup_seconds"] = round(setup, 1)
            t = time.perf_counter()
            if is_sqlite():
                db.execute_sql("ANALYZE")
                db.execute_sql("PRAGMA optimize")
                db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                db.execute_sql("ANALYZE")
            meta["analyze_seconds"] = round(time.perf_counter() - t, 1)
            print(f"ANALYZE: {meta['analyze_seconds']} s", flush=True)
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    if url.startswith("sqlite"):
        meta["database_mb"] = round(Path(urlparse(url).path).stat().st_size / 2**20)
    meta["generator_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    meta["database"] = "sqlite" if url.startswith("sqlite") else "postgresql"
    run_file(args, "workorders").write_text(json.dumps(meta, indent=2, default=str))
    return meta


def _generate_orders(args) -> dict:
    r = random.Random(args.seed)
    place = City(r)
    gen = Generator(place, args.seed)
    n = args.orders
    per_status = round(n * args.open_share)
    open_total = per_status * len(states.OPEN)
    if open_total > n:
        raise SystemExit("--open-share too large for --orders")
    t0 = time.perf_counter()
    opens = list(gen.open_stream(r, per_status))
    print(f"placed {open_total:,} open cases in time: {time.perf_counter() - t0:.1f} s", flush=True)
    stream = heapq.merge(gen.final_stream(r, n - open_total), opens, key=lambda item: item[0])
    before, after = place.photos
    sample_rng = random.Random(args.seed + 1)
    sample_p = min(1.0, args.sample / n)
    names = [f.name for f in WorkOrder._meta.sorted_fields]
    fields = list(WorkOrder._meta.sorted_fields)
    seqs: dict[int, int] = {}
    rows, events, links, sample, counts = [], [], [], [], {}
    latest = NOW - timedelta(minutes=5)
    t0 = time.perf_counter()
    chunks = 0
    txn = db.atomic()
    txn.__enter__()
    for order_id, (at, kind, seed) in enumerate(stream, start=1):
        if seed is None:
            case = gen.life(r, kind, at, final=True)
            _compress(case, latest)
        else:
            case = gen.open_case(kind, seed)
        year = case.steps[0][1].year
        seqs[year] = seqs.get(year, 0) + 1
        row = gen.row(case, order_id, f"{year}-{seqs[year]:06d}")
        rows.append(tuple(row[name] for name in names))
        counts[case.status] = counts.get(case.status, 0) + 1
        if sample_rng.random() < sample_p:
            sample.append(order_id)
            events += gen.events(case, order_id, row)
            links.append(
                {
                    "subject_kind": "workorder",
                    "subject_id": order_id,
                    "photo": before,
                    "stage": "report",
                    "added_at": row["reported_at"],
                }
            )
            if row["handled_at"] or case.status in ("checked", "closed"):
                links.append(
                    {
                        "subject_kind": "workorder",
                        "subject_id": order_id,
                        "photo": after,
                        "stage": "handling",
                        "added_at": row["handled_at"],
                    }
                )
        if len(rows) == CHUNK:
            insert_rows(fields, rows)
            rows = []
            chunks += 1
            if chunks % CHUNKS_PER_TRANSACTION == 0:
                txn.__exit__(None, None, None)
                txn = db.atomic()
                txn.__enter__()
            if order_id % 100_000 == 0:
                rate = order_id / (time.perf_counter() - t0)
                print(f"  {order_id:>9,} cases  ({rate:,.0f}/s)", flush=True)
    if rows:
        insert_rows(fields, rows)
    for i in range(0, len(events), 2000):
        WorkOrderEvent.insert_many(events[i : i + 2000]).execute()
    for i in range(0, len(links), 2000):
        Attachment.insert_many(links[i : i + 2000]).execute()
    for year, last in seqs.items():
        continue_after("case", year, last)
    if not is_sqlite():
        for table in ("work_order", "work_order_event", "attachment"):
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    txn.__exit__(None, None, None)
    seconds = time.perf_counter() - t0
    print(f"generated {n:,} cases, {len(events):,} events: {seconds:.1f} s ({n / seconds:,.0f} cases/s)", flush=True)
    return {
        "orders": n,
        "seed": args.seed,
        "now": NOW.isoformat(),
        "open_share_per_status": args.open_share,
        "statuses": dict(sorted(counts.items())),
        "sample": sample,
        "events": len(events),
        "category": place.busiest_standard.category.code,
        "generation_seconds": round(seconds, 1),
    }


# --- measurement -------------------------------------------------------------------------------------

# the table's links (the phone's cards, class="card-link", repeat them)
ORDER_LINK = re.compile(r'<a href="/orders/(\d+)"')
TIMELINE = re.compile(r'<ol class="timeline">(.*?)</ol>', re.S)


class Page:
    """One measured page: its URLs (the case page cycles through the sampled cases), its floor's, and for
    the lists the floor's plain statement too."""

    def __init__(self, name, client, urls, floor_urls, plain_urls=None):
        self.name, self.client = name, client
        self.series = {"page": urls, "floor": floor_urls}
        if plain_urls:
            self.series["plain"] = plain_urls
        self.times = {key: [] for key in self.series}

    @property
    def urls(self):
        return self.series["page"]

    @property
    def floor_urls(self):
        return self.series["floor"]


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not log in as {username}: {response.status_code}")
    return client


def get(client, url) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code}\n{response.get_data(as_text=True)[:2000]}")
    return response.get_data(as_text=True)


def check_same_rows(page: Page):
    """Every floor must show the very rows the page shows, in the same order."""
    shown = None
    for i, url in enumerate(page.urls[:5]):
        html = get(page.client, url)
        for key, urls in page.series.items():
            if key == "page":
                continue
            floor = get(page.client, urls[i])
            if page.name == "case page":
                ours, theirs = [TIMELINE.search(text).group(1).count("<li>") for text in (html, floor)]
            else:
                ours, theirs = ORDER_LINK.findall(html), ORDER_LINK.findall(floor)
            if ours != theirs:
                raise SystemExit(f"{page.name}: the {key} floor does not show the same rows\n{ours}\n{theirs}")
            shown = ours if isinstance(ours, int) else len(ours)
    return shown


def pages_for(app, meta) -> list[Page]:
    with db.connection_context():
        at_department = ["dispatched", "handling", "suspended"]
        busiest = (
            WorkOrder.select(WorkOrder.department, db_count())
            .where(WorkOrder.status.in_(at_department))
            .group_by(WorkOrder.department)
            .order_by(db_count().desc())
            .first()
        )
        dept = busiest.department_id
        handler_role = Role.get(Role.code == "handler")
        handler = (
            User.select()
            .join(UserRole)
            .where((User.department == dept) & (UserRole.role == handler_role))
            .order_by(User.id)
            .first()
        )
    dispatcher = login(app, "dispatcher")
    handling = login(app, handler.username)
    filters = {"box": "all", "grid": STREET, "category": meta["category"], "status": STATUS_FILTER}
    floor_filters = {"grid": STREET, "category": meta["category"], "status": STATUS_FILTER}
    sample = meta["sample"]
    lists = [
        ("dispatcher inbox", dispatcher, "/orders/?box=to_dispatch", "to_dispatch", {}),
        (
            f"department inbox ({handler.username})",
            handling,
            "/orders/?box=department",
            "department",
            {"user": handler.id, "dept": dept},
        ),
        ("filtered list", dispatcher, "/orders/?" + urlencode(filters), "filtered", floor_filters),
    ]
    pages = [
        Page(
            name,
            client,
            [url],
            [f"/_bench/floor/list/{box}?" + urlencode(floor_args)],
            [f"/_bench/floor/list/{box}?" + urlencode({**floor_args, "form": "plain"})],
        )
        for name, client, url, box, floor_args in lists
    ]
    pages.append(
        Page("case page", dispatcher, [f"/orders/{i}" for i in sample], [f"/_bench/floor/case/{i}" for i in sample])
    )
    # Not a target: what any logged-in page costs before its content (session, user, permissions, layout).
    pages.append(Page("(reference) empty logged-in page", dispatcher, ["/_bench/layout"], ["/_bench/layout"]))
    return pages


def db_count():
    from peewee import fn

    return fn.COUNT(WorkOrder.id)


def percentile(values, p) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def measure(args, meta) -> dict:
    load_before = os.getloadavg()[0]
    with clock.frozen(NOW):
        app = build_app(args)
        _floor.install(app)
        pages = pages_for(app, meta)
        print()
        for page in pages[:-1]:
            shown = check_same_rows(page)
            print(f"{page.name}: {page.urls[0]}  ({shown} rows, same as the floor's)")
        for page in pages:
            for i in range(args.warmup):
                for urls in page.series.values():
                    get(page.client, urls[i % len(urls)])
            for i in range(args.requests):  # interleaved: page, floor, plain floor, page, ...
                for key, urls in page.series.items():
                    t = time.perf_counter()
                    get(page.client, urls[i % len(urls)])
                    page.times[key].append((time.perf_counter() - t) * 1000)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results = report(pages, peak, meta, args.requests)
        results["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        print(f"load average (1 min) before and after the timings: {results['load_average']}")
        if args.diagnose:
            prefix = run_file(args, "profile").with_suffix("").name
            results["diagnosis"] = diagnose(app, pages[:-1], Path(args.out), prefix)
    return results


def report(pages, peak_mb, meta, requests) -> dict:
    rows = []
    for page in pages:
        p50, p95 = percentile(page.times["page"], 50), percentile(page.times["page"], 95)
        f50, f95 = percentile(page.times["floor"], 50), percentile(page.times["floor"], 95)
        plain = page.times.get("plain")
        rows.append(
            {
                "page": page.name,
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "floor_p50_ms": round(f50, 1),
                "floor_p95_ms": round(f95, 1),
                "p95_ratio": round(p95 / f95, 2),
                "plain_floor_p95_ms": round(percentile(plain, 95), 1) if plain else None,
                "met": p95 / f95 <= TARGET_RATIO and p95 <= TARGET_MS,
            }
        )
    print()
    print(f"{meta['orders']:,} cases, {requests} timed requests per page and as many per floor, interleaved")
    header = (
        f"{'page':<40} {'p50 ms':>7} {'p95 ms':>7} {'floor p50':>9} {'floor p95':>9} {'p95 ratio':>9}"
        f"  target  {'plain-statement floor p95':>25}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        reference = row["page"].startswith("(")
        target = "" if reference else ("met" if row["met"] else "MISSED")
        plain = f"{row['plain_floor_p95_ms']:.1f}" if row["plain_floor_p95_ms"] is not None else ""
        if reference:
            print(f"{row['page']:<40} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f}")
            continue
        print(
            f"{row['page']:<40} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} {row['floor_p50_ms']:>9.1f} "
            f"{row['floor_p95_ms']:>9.1f} {row['p95_ratio']:>9.2f}  {target:<6}  {plain:>25}"
        )
    print(f"\npeak RSS of the web process: {peak_mb:.0f} MB")
    return {"pages": rows, "peak_rss_mb": round(peak_mb)}


# --- diagnosis: what each page runs, the plans of its slow statements, where the time goes ------------


def diagnose(app, pages, out: Path, prefix: str) -> dict:
    """After the timings (it does not disturb them): the SQL each page runs, with timings and the query
    plan of the slowest statements, and a cProfile of 20 requests (written to out/profile-*.txt)."""
    found = {}
    original = db.obj.execute_sql
    for page in pages:
        log = []

        def timed(sql, params=None, *rest, _log=log):
            t = time.perf_counter()
            cursor = original(sql, params, *rest)
            _log.append(((time.perf_counter() - t) * 1000, sql, params))
            return cursor

        db.obj.execute_sql = timed
        try:
            get(page.client, page.urls[0])
        finally:
            db.obj.execute_sql = original
        total = sum(ms for ms, _, _ in log)
        print(f"\n== {page.name}: {len(log)} statements, {total:.1f} ms in SQL (one request)")
        slow = sorted(log, key=lambda item: -item[0])[:3]
        entries = []
        for ms, sql, params in slow:
            print(f"  {ms:7.1f} ms  {sql[:300]}{'...' if len(sql) > 300 else ''}  {list(params or [])[:8]}")
            plan = explain(sql, params)
            for line in plan:
                print(f"             plan: {line}")
            entries.append({"ms": round(ms, 2), "sql": sql, "params": list(params or []), "plan": plan})
        profile = cProfile.Profile()
        profile.enable()
        for i in range(20):
            get(page.client, page.urls[i % len(page.urls)])
        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(40)
        slug = re.sub(r"[^a-z]+", "-", page.name.lower()).strip("-")
        (out / f"{prefix}-{slug}.txt").write_text(text.getvalue())
        found[page.name] = {"statements": len(log), "sql_ms": round(total, 1), "slowest": entries}
    return found


def explain(sql, params) -> list[str]:
    with db.connection_context():
        if is_sqlite():
            rows = db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            return [row[-1] for row in rows]
        return [row[0] for row in db.execute_sql("EXPLAIN " + sql, params).fetchall()]


# --- main --------------------------------------------------------------------------------------------


def machine() -> dict:
    import platform
    import sqlite3

    memory = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), None)
    return {
        "nproc": os.cpu_count(),
        "memory_mb": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (and per floor)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--db", default="sqlite", help="'sqlite' (a fresh file in --out) or a PostgreSQL URL")
    parser.add_argument("--out", default=str(HERE / "out"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--open-share", type=float, default=0.02, help="share of the cases at each open status")
    parser.add_argument("--sample", type=int, default=100, help="cases with a timeline, for the case page")
    parser.add_argument(
        "--phase",
        choices=["all", "generate", "measure"],
        default="all",
        help="measure: reuse the database a previous run generated",
    )
    parser.add_argument("--no-diagnose", dest="diagnose", action="store_false")
    args = parser.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    meta_file = run_file(args, "workorders")
    if args.phase == "generate":
        generate(args)
        return
    if args.phase == "all":
        # In a child process: the peak memory measured below is then the web process's alone.
        child = [sys.executable, __file__, "--phase", "generate", "--orders", str(args.orders), "--db", args.db]
        child += ["--out", args.out, "--seed", str(args.seed), "--open-share", str(args.open_share)]
        subprocess.run(child + ["--sample", str(args.sample)], check=True)
    meta = json.loads(meta_file.read_text())
    print(
        f"\ngeneration: {meta['orders']:,} cases in {meta['generation_seconds']} s "
        f"(+ {meta['setup_seconds']} s setup, {meta['analyze_seconds']} s ANALYZE; "
        f"generator peak {meta['generator_peak_rss_mb']} MB, database {meta.get('database_mb', '?')} MB)"
    )
    print(f"statuses: {meta['statuses']}")
    results = measure(args, meta)
    results.update(machine=machine(), generation={k: v for k, v in meta.items() if k != "sample"})
    results["date"] = datetime.now().isoformat(timespec="minutes")
    results["requests"] = args.requests
    run_file(args, "results").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {run_file(args, 'results')}")


if __name__ == "__main__":
    main()
