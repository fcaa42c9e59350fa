"""Every page of the demo city as each demo user opens it: the pages of their menu, the home page on a
first visit (a fresh session) and again, its widgets' fragments and its map's layers, and for the
evaluator the evaluation ranking at every level. Server time through Flask's test client, beside the
floor bench/_floor.py adds to the same app (the empty logged-in page, the same user, interleaved).

    .venv/bin/python bench/pages.py                      # the demo city (90 days of cases): generate, measure
    .venv/bin/python bench/pages.py --phase measure      # measure again on the database already made
    .venv/bin/python bench/pages.py --days 2 --requests 3 --notifications 2000 --ended-sessions 200  # tiny

Targets (issue 11): every page ≤ 200 ms at p95, the grid ranking ≤ 500 ms. Then the per-request hot path at
scale (a copy of the database with --notifications notifications and --ended-sessions ended sessions):
the ended-session look-up and the notification badge count, each against 1 ms. See bench/README.md."""

import argparse
import html
import json
import math
import os
import re
import shutil
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import _floor  # noqa: E402

from app import create_app  # noqa: E402
from core import clock  # noqa: E402
from core import db as dbmod  # noqa: E402
from core import demo as city  # noqa: E402
from core.db import db  # noqa: E402
from core.evaluation.indicators import LEVELS  # noqa: E402
from core.org import User  # noqa: E402
from core.plugins import menu  # noqa: E402

TARGET_MS, GRID_RANKING_MS, HOT_PATH_MS = 200.0, 500.0, 1.0
GRID_RANKING = "evaluation: unit grids (the grid ranking)"
USERS = [username for username, _name, _role, _dept in city.USERS]


def database_url(args) -> str:
    return f"sqlite:///{Path(args.out).resolve() / f'pages-{args.days}.sqlite3'}"


def build_app(args, url=None):
    return create_app(
        {
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "DATABASE_URL": url or database_url(args),
            "INSTANCE_PATH": str(Path(args.out).resolve() / "instance"),
            "SCHEDULER_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "THROTTLE_EXEMPT_LOOPBACK": True,  # one login per first visit, all from 127.0.0.1
            "DEMO_HISTORY_DAYS": args.days,
        }
    )


def generate(args):
    """A fresh SQLite file with the demo city, as `flask demo load` makes it."""
    path = Path(database_url(args).removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    Path(args.out, "instance").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    app = build_app(args)
    dbmod.upgrade(app)
    with app.app_context(), db.connection_context():
        city.load(app, echo=lambda line: print(f"  {line}", flush=True))
        db.execute_sql("ANALYZE")
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = city.counts()
    print(f"demo city ({args.days} days): {city.said(counts)} in {time.perf_counter() - started:.0f} s", flush=True)


# --- what each user opens -----------------------------------------------------------------------------


class Page:
    def __init__(self, name, url, headers=None, fresh=False, target=TARGET_MS):
        self.name, self.url, self.headers, self.fresh, self.target = name, url, headers or {}, fresh, target
        self.times, self.floors, self.error = [], [], None


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": city.DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not log in as {username}: {response.status_code}")
    return client


def pages_for(app, client, username) -> list[Page]:
    """The user's menu, the home page (first visit and again), its widgets' fragments as their polling
    asks for them, its map's layers (those shown at first, and those switched off), and for the users who
    may see the evaluation every level's ranking."""
    with app.test_request_context():
        user = User.get(User.username == username)
        items = [(str(item.label), item.endpoint) for item in menu(user)]
        from flask import url_for

        urls = [(label, url_for(endpoint)) for label, endpoint in items]
        levels = user.can("evaluation.view") and username == "evaluator"
    pages = [Page("home (first visit)", "/", fresh=True), Page("home", "/")]
    pages += [Page(f"menu: {label}", url) for label, url in urls if url != "/"]
    home = client.get("/").get_data(as_text=True)
    for name, url in re.findall(r'id="dash-([\w-]+)"[^>]*?hx-get="([^"]+)"', home):
        pages.append(Page(f"widget: {name}", html.unescape(url), {"HX-Request": "true", "HX-Target": f"dash-{name}"}))
    for found in re.findall(r'data-layers="([^"]*)"', home):
        for spec in json.loads(html.unescape(found)):
            shown = "" if spec.get("visible", True) else " (switched off at first)"
            pages.append(Page(f"map layer: {spec.get('name')}{shown}", spec["url"]))
    if levels:
        for level in LEVELS:
            name = GRID_RANKING if level == "grid" else f"evaluation: {level}"
            pages.append(
                Page(name, f"/evaluation/?level={level}", target=GRID_RANKING_MS if level == "grid" else TARGET_MS)
            )
        pages.append(
            Page(f"{GRID_RANKING}, every figure", "/evaluation/?level=grid&figures=all", target=GRID_RANKING_MS)
        )
    return pages


def timed(client, url, headers=None) -> float:
    started = time.perf_counter()
    response = client.get(url, headers=headers or {})
    spent = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise ValueError(f"answered {response.status_code}")
    return spent


def percentile(values, p) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def measure_user(app, username, args) -> list[Page]:
    client = login(app, username)
    pages = pages_for(app, client, username)
    for page in pages:
        try:
            for index in range(args.warmup + args.requests):
                one = login(app, username) if page.fresh else client
                spent = timed(one, page.url, page.headers)
                floor = timed(one, "/_bench/layout")
                if index >= args.warmup:
                    page.times.append(spent)
                    page.floors.append(floor)
        except ValueError as error:
            page.error = str(error)
    return pages


def report(rows) -> tuple[list[dict], int]:
    print(f"\n{'user':<11} {'page':<58} {'p50 ms':>8} {'p95 ms':>8} {'floor p95':>9} {'ratio':>6}  target")
    results, over = [], 0
    for username, page in rows:
        if page.error:
            print(f"{username:<11} {page.name:<58} {page.error}  ({page.url})")
            results.append({"user": username, "page": page.name, "url": page.url, "error": page.error})
            continue
        p50, p95, floor = percentile(page.times, 50), percentile(page.times, 95), percentile(page.floors, 95)
        met = p95 <= page.target
        over += not met
        verdict = f"≤ {page.target:g} met" if met else f"**OVER {page.target:g}**"
        print(f"{username:<11} {page.name[:58]:<58} {p50:8.1f} {p95:8.1f} {floor:9.1f} {p95 / floor:6.1f}  {verdict}")
        results.append(
            {"user": username, "page": page.name, "url": page.url, "p50": round(p50, 1), "p95": round(p95, 1),
             "floor_p95": round(floor, 1), "ratio": round(p95 / floor, 2), "target": page.target, "met": met}
        )  # fmt: skip
    return results, over


# --- the per-request hot path at scale ------------------------------------------------------------------


def hot_paths(args) -> dict:
    """On a copy of the database: --ended-sessions logged-out sessions and --notifications notifications
    (a fifth of them the dispatcher's, one in a hundred unread), then the two look-ups every logged-in request
    makes, timed alone, with their plans."""
    from peewee import SQL

    from core.notifications.models import Notification
    from core.notifications.service import unread
    from core.sessions import EndedSession

    source = Path(database_url(args).removeprefix("sqlite:///"))
    copy = source.with_name(f"hot-{args.days}.sqlite3")
    shutil.copyfile(source, copy)
    app = build_app(args, url=f"sqlite:///{copy}")
    with app.app_context(), db.connection_context():
        users = [u.id for u in User.select(User.id)]
        dispatcher = User.get(User.username == "dispatcher")
        now = clock.now()
        with db.atomic():
            db.cursor().executemany(
                "INSERT INTO ended_session (sid, expires_at) VALUES (?, ?)",
                ((f"{i:032x}", now + timedelta(hours=i % 12)) for i in range(args.ended_sessions)),
            )
            rows = (
                (dispatcher.id if i % 5 == 0 else users[i % len(users)], now - timedelta(seconds=i), "overdue",
                 now + timedelta(seconds=i), "bench", i % 100 != 0)
                for i in range(args.notifications)
            )  # fmt: skip
            db.cursor().executemany(
                'INSERT INTO notification (user_id, "at", kind, due, text, "read") VALUES (?, ?, ?, ?, ?, ?)', rows
            )
        db.execute_sql("ANALYZE")
        sid = f"{args.ended_sessions // 2:032x}"
        checks = {
            "ended-session look-up (core.sessions.problem)": lambda: (
                EndedSession.select().where(EndedSession.sid == sid).exists()
            ),
            "notification badge count (notifications.unread)": lambda: unread(dispatcher),
        }
        plans = {
            "ended-session look-up (core.sessions.problem)": EndedSession.select(SQL("1")).where(
                EndedSession.sid == sid
            ),
            "notification badge count (notifications.unread)": Notification.select(SQL("1")).where(
                (Notification.user == dispatcher.id) & (Notification.read == False)
            ),
        }
        held = Notification.select().where(Notification.user == dispatcher.id).count()
        print(
            f"\nper-request hot path, {args.ended_sessions:,} ended sessions and {args.notifications:,} "
            f"notifications ({held:,} of them the dispatcher's, {unread(dispatcher):,} unread):"
        )
        results = {}
        for name, check in checks.items():
            times = []
            for _ in range(args.hot_repeat):
                started = time.perf_counter()
                check()
                times.append((time.perf_counter() - started) * 1000)
            p50 = percentile(times, 50)
            sql, params = plans[name].sql()
            plan = "; ".join(row[-1] for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
            verdict = "met" if p50 <= HOT_PATH_MS else "**OVER**"
            print(
                f"  {name}: p50 {p50:.3f} ms, p95 {percentile(times, 95):.3f} ms (≤ {HOT_PATH_MS:g} ms {verdict}); {plan}"
            )
            results[name] = {"p50": round(p50, 3), "p95": round(percentile(times, 95), 3), "plan": plan}
    copy.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return results


def measure(args):
    load_before = os.getloadavg()[0]
    app = build_app(args)
    dbmod.upgrade(app)  # a database generated before the code's newest migrations
    _floor.install(app)
    rows = []
    started = time.perf_counter()
    for username in args.users.split(","):
        for page in measure_user(app, username, args):
            rows.append((username, page))
        print(f"  {username}: measured ({time.perf_counter() - started:.0f} s)", flush=True)
    results, over = report(rows)
    hot = hot_paths(args) if args.notifications or args.ended_sessions else {}
    load_after = os.getloadavg()[0]
    print(
        f"\n{len(results)} pages, {over} over their target; {args.requests} timed requests each after "
        f"{args.warmup} warm-up; floor = the empty logged-in page (/_bench/layout), same user, interleaved; "
        f"load average {load_before:.1f} before, {load_after:.1f} after"
    )
    out = {"pages": results, "hot_paths": hot, "measured_at": datetime.now().isoformat(timespec="seconds"),
           "load": [load_before, load_after], "requests": args.requests, "days": args.days}  # fmt: skip
    Path(args.out, f"pages-results-{args.days}.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90, help="days of demo history (DEMO_HISTORY_DAYS)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--users", default=",".join(USERS), help="comma-separated demo usernames")
    parser.add_argument("--notifications", type=int, default=1_000_000)
    parser.add_argument("--ended-sessions", type=int, default=100_000)
    parser.add_argument("--hot-repeat", type=int, default=200)
    parser.add_argument("--out", default=str(HERE / "out" / "pages"))
    parser.add_argument("--phase", choices=["generate", "measure", "all"], default="all")
    args = parser.parse_args(argv)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if args.phase in ("generate", "all"):
        generate(args)
    if args.phase in ("measure", "all"):
        measure(args)


if __name__ == "__main__":
    main()
