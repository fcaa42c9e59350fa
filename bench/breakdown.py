"""Where a work-order page's time goes: the database `bench/workorders.py` generated, one page requested
N times through the real app (logged in, clock frozen as in the benchmark), and the time spent inside a few
functions that every request or this page goes through, per request. Not a profiler: plain timers around
those functions, so the figures are close to what the page costs without the profiler's overhead.

    .venv/bin/python bench/workorders.py --orders 20000 --out bench/out    # once
    .venv/bin/python bench/breakdown.py "dispatcher inbox" --orders 20000  # or "case page", "filtered list"...

The timed functions nest (the render includes the menu), so the lines do not add up to the total."""

import argparse
import collections
import functools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import flask  # noqa: E402
import flask.sessions  # noqa: E402
import flask.templating  # noqa: E402
import flask_login.login_manager  # noqa: E402
import peewee  # noqa: E402
import workorders as bench  # noqa: E402

from core import clock, plugins  # noqa: E402
from core.auth import gate  # noqa: E402
from core.workorders import clocks, queries  # noqa: E402
from core.workorders.views import case, lists  # noqa: E402

spent, calls = collections.Counter(), collections.Counter()


def timed(owner, name, label):
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started
            calls[label] += 1

    setattr(owner, name, wrapper)


TIMED = [
    (flask.Flask, "wsgi_app", "the whole request in Flask"),
    (gate, "enforce_session_and_permission", "login, idle check, permission"),
    (flask_login.login_manager.LoginManager, "_load_user", "  of which: loading the user"),
    (flask.sessions.SecureCookieSessionInterface, "open_session", "reading the session cookie"),
    (flask.sessions.SecureCookieSessionInterface, "save_session", "writing the session cookie"),
    (peewee.Database, "execute", "peewee queries (building the SQL and running it)"),
    (peewee.Database, "execute_sql", "  of which: running the SQL"),
    (flask.templating, "_render", "Jinja rendering"),
    (plugins, "menu", "  of which: the menu"),
    (queries, "one_page", "list: count, ids and rows"),
    (clocks, "light", "warning lights"),
    (lists, "dispatch_departments", "the dispatch form's departments"),
    (case, "load_order", "case page: the case"),
    (case, "case_context", "case page: events, photos, actions, panels"),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("page", help='a page name as bench/workorders.py prints it, or its start: "case page"')
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"))
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    run = argparse.Namespace(out=args.out, orders=args.orders, db="sqlite")
    meta = json.loads(bench.run_file(run, "workorders").read_text())
    for owner, name, label in TIMED:
        timed(owner, name, label)
    with clock.frozen(bench.NOW):
        app = bench.build_app(run)
        app.jinja_env.globals["menu"] = plugins.menu  # the template global, so that it is the timed one
        pages = [page for page in bench.pages_for(app, meta) if page.name.startswith(args.page)]
        if not pages:
            raise SystemExit(f"no page named {args.page!r}")
        page = pages[0]
        for i in range(20):  # warm-up
            bench.get(page.client, page.urls[i % len(page.urls)])
        spent.clear(), calls.clear()
        for i in range(args.requests):
            bench.get(page.client, page.urls[i % len(page.urls)])
    print(f"{page.name}, {args.orders:,} cases, {args.requests} requests: ms per request")
    for _owner, _name, label in TIMED:
        if calls[label]:
            print(f"  {label:52} {spent[label] / args.requests * 1000:7.2f}  ({calls[label] / args.requests:g} calls)")


if __name__ == "__main__":
    main()
