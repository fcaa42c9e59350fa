"""Excel exports at 50,000 rows of each kind: rows per second of the application's export against a floor
measured in the same run.

    .venv/bin/python bench/exports.py                 # 50,000 rows of each kind, 3 runs each
    .venv/bin/python bench/exports.py --rows 2000 --repeat 1

Each kind is exported as its background thread does it (`core.exports.jobs._run` on an ExportJob row: the
kind's query read page by page, the progress and heartbeat written every 500 rows, the workbook written
with `core.xlsx.write_book` and renamed into place) from a SQLite file holding N rows of that kind (cases,
components or vehicles); the evaluation kind writes a level table of N units (its figures are computed in
memory, so the table is made up here). The floor is `core.xlsx.write_book` writing the very same rows as
plain values already in memory, into memory: no query, no formatting, no progress, no file. ratio = app
seconds / floor seconds (p50 of the runs): what reading and formatting the rows add to writing them. For
comparison, openpyxl's write-only workbook (the writer before 2026-12-03, with lxml when installed) writes
the same plain rows too. CPU rows/s: the rows over the export's CPU time (process time), which moves less
than the wall clock on a shared machine."""

import argparse
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

KINDS = ("orders", "components", "zombie_cars", "evaluation")
TARGET = 10_000  # rows per second
T0 = datetime(2026, 11, 2, 8, 0)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


# --- the child: one kind, one XML writer -------------------------------------------------------------


def build(folder: Path, rows: int, kind: str):
    from app import create_app
    from core import db as dbmod
    from core.catalogue.models import Category
    from core.components.models import Component
    from core.db import db
    from core.workorders.models import WorkOrder
    from plugins.zombie_cars.models import Vehicle
    from tests.workorder_support import build_city

    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "DATABASE_URL": f"sqlite:///{folder / 'exports.sqlite3'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "SCHEDULER_ENABLED": False,
            "BABEL_DEFAULT_LOCALE": "en",
        }
    )
    dbmod.upgrade(app)
    r = random.Random(20261203)
    with app.app_context(), db.connection_context():
        city = build_city()
        manhole = Category.create(kind="component", edition="2013", class_code="01", class_name="公用设施",
                                  code="0101", name="上水井盖")  # fmt: skip
        statuses = ["filed", "dispatched", "handling", "handled", "closed", "suspended"]
        orders = kind == "orders" and [
            {
                "number": f"2026-{i:06d}",
                "source": "collector",
                "status": statuses[i % len(statuses)],
                "category": city.category.id,
                "grid": city.grid.id,
                "department": city.sanitation.id,
                "description": r.choice(["垃圾暴露", "井盖缺失", "=SUM(A1)", "占道经营，影响通行"]) * 3,
                "address": f"岳阳路{i}号",
                "caller_name": "张三",
                "caller_phone": "13800000000",
                "reported_at": T0 - timedelta(minutes=i),
                "due_at": T0 + timedelta(hours=i % 48 - 24),
                "stage_due_at": T0 + timedelta(hours=i % 24),
                "stage_started_at": T0 - timedelta(hours=1),
                "stage_unit": "work_hour",
            }
            for i in range(1, rows + 1)
        ]
        components = kind == "components" and [
            {
                "code": f"4306020101{i:06d}",
                "name": "上水井盖",
                "category": manhole.id,
                "status": "intact",
                "maintaining_department": "环卫处",
                "longitude": 113.1 + i * 1e-7,
                "latitude": 29.3,
                "grid": city.grid.id,
                "address": f"人民路{i}号",
            }
            for i in range(1, rows + 1)
        ]
        vehicles = kind == "zombie_cars" and [
            {"plate": f"湘F{i:05d}", "colour": "白", "brand": "大众", "address": f"巴陵路{i}号", "grid": city.grid.id,
             "days_unmoved": i % 90, "reported_at": T0 - timedelta(minutes=i)}
            for i in range(1, rows + 1)
        ]  # fmt: skip
        tables = {
            "orders": (WorkOrder, orders),
            "components": (Component, components),
            "zombie_cars": (Vehicle, vehicles),
        }
        for model, data in [tables[kind]] if kind in tables else []:
            with db.atomic():
                for start in range(0, len(data), 500):
                    model.insert_many(data[start : start + 500]).execute()
    return app, city


def evaluation_table(rows: int) -> dict:
    codes = ["reported", "on_time_handling_rate", "closure_rate"]
    return {
        "level": "grid",
        "indicators": codes,
        "formula": "score = 100 × on-time handling rate",
        "rows": [
            {"rank": i, "name": f"网格{i}", "key": f"430602001001{i:03d}", "values": dict.fromkeys(codes, 0.9),
             "deduction": 0, "score": 90.0, "grade": "A", "formula": "90 = 100 × 0.90"}
            for i in range(1, rows + 1)
        ],
    }  # fmt: skip


def child(kind: str, rows: int, repeat: int) -> dict:
    from openpyxl import Workbook

    from core import xlsx
    from core.db import db
    from core.evaluation import exports as evaluation_exports
    from core.exports.jobs import _run
    from core.exports.kinds import Kind, kinds
    from core.exports.models import ExportJob

    folder = Path(tempfile.mkdtemp(prefix="xiuhua-bench-exports-"))
    app, city = build(folder, rows, kind)
    user = city.users["dispatcher"]
    if kind == "evaluation":  # made-up figures: the kind's own computation is bench/evaluation.py's
        table = evaluation_table(rows)
        bench_kind = Kind("bench_evaluation", lambda u, p: [evaluation_exports.table_sheet("2026-10", table)])
        app.extensions["xiuhua.plugins"].registered["register_exports"].append(("bench", [bench_kind]))
    name = "bench_evaluation" if kind == "evaluation" else kind
    found = {"kind": kind, "rows": 0, "app": [], "cpu": [], "floor": [], "openpyxl": []}
    with app.test_request_context(), db.connection_context():
        for _ in range(repeat):
            job = ExportJob.create(user=user, kind=name, params={"box": "all"} if kind == "orders" else {},
                                   filename="bench.xlsx", runner="bench:0", going_user=user.id)  # fmt: skip
            started, cpu = time.perf_counter(), time.process_time()
            _run(job.id)
            found["app"].append(time.perf_counter() - started)
            found["cpu"].append(time.process_time() - cpu)
            job = ExportJob.get_by_id(job.id)
            assert job.status == "done", job.error
            found["rows"] = job.done
            sheets = kinds()[name].sheets(user, job.params)
            plain = [(sheet.title, list(sheet.headers), [list(row) for row in sheet.rows]) for sheet in sheets]
            started = time.perf_counter()
            xlsx.write_book(io.BytesIO(), [xlsx.Sheet(t, h, v, widths=[10] * len(h)) for t, h, v in plain])
            found["floor"].append(time.perf_counter() - started)
            started = time.perf_counter()
            book = Workbook(write_only=True)
            for title, headers, values in plain:
                ws = book.create_sheet(xlsx._sheet_title(title))
                ws.append(headers)
                for row in values:
                    ws.append(row)
            book.save(io.BytesIO())
            found["openpyxl"].append(time.perf_counter() - started)
    return found


# --- the parent -------------------------------------------------------------------------------------


def run_child(kind: str, args) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--rows", str(args.rows), "--repeat", str(args.repeat)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--child")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.repeat)))
        return
    print(f"{args.rows:,} rows per kind, {args.repeat} runs; target ≥ {TARGET:,} rows/s")
    print(
        f"{'kind':<12} {'rows':>7} {'p50 s':>7} {'p95 s':>7} {'rows/s':>8} {'floor p50':>9} {'floor rows/s':>12} "
        f"{'ratio':>6} {'openpyxl rows/s':>15} {'CPU rows/s':>10}  target"
    )
    for kind in args.kinds.split(","):
        found = run_child(kind, args)
        p50, p95 = percentile(found["app"], 50), percentile(found["app"], 95)
        floor, openpyxl = statistics.median(found["floor"]), statistics.median(found["openpyxl"])
        rate = found["rows"] / p50
        print(
            f"{kind:<12} {found['rows']:>7} {p50:>7.2f} {p95:>7.2f} {rate:>8,.0f} {floor:>9.2f} "
            f"{found['rows'] / floor:>12,.0f} {p50 / floor:>6.2f} {found['rows'] / openpyxl:>15,.0f} "
            f"{found['rows'] / statistics.median(found['cpu']):>10,.0f}  "
            f"{'met' if rate >= TARGET else 'missed'}",
            flush=True,
        )


if __name__ == "__main__":
    main()
