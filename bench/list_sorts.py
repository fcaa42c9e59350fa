"""The case list sorted by each of its columns (issue 11), on a database bench/workorders.py generated:
p50 and p95 per sort for the dispatcher's inbox, a department's inbox and the whole list.

    .venv/bin/python bench/list_sorts.py --orders 1000000 --requests 30

Run `bench/workorders.py --phase generate` first; this applies any newer migration to that database."""

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import workorders as bench  # noqa: E402

from core import clock  # noqa: E402
from core import db as dbmod  # noqa: E402
from core.workorders import queries  # noqa: E402

LISTS = [
    ("dispatcher inbox", "dispatcher", "box=to_dispatch"),
    ("department inbox", "handler.enforcement", "box=department"),
    ("all cases", "dispatcher", "box=all"),
    ("filtered list", "dispatcher", "box=all&grid=430602001&status=handling"),
]
SORTS = ["", *[f"{sign}{column}" for column in queries.COLUMNS for sign in ("", "-")], "sort2page:-address"]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--out", default=str(HERE / "out"))
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--only", default="", help="only the lists whose label contains this")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    with clock.frozen(bench.NOW):
        app = bench.build_app(args)
        dbmod.upgrade(app)
        clients = {}
        print("| list | sort | p50 ms | p95 ms | note |\n|---|---|---:|---:|---|")
        for label, user, query in [entry for entry in LISTS if args.only in entry[0]]:
            client = clients.get(user) or clients.setdefault(user, bench.login(app, user))
            for sort in SORTS:
                page = ""
                if sort.startswith("sort2page:"):
                    sort, page = sort.split(":", 1)[1], "&page=2"
                url = f"/orders/?{query}" + (f"&sort={sort}" if sort else "") + page
                html = bench.get(client, url)
                note = "refused: too many to sort" if "aria-sort" not in html and sort else ""
                times = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    bench.get(client, url)
                    times.append((time.perf_counter() - t) * 1000)
                shown = (sort or "(most urgent)") + (" page 2" if page else "")
                print(f"| {label} | {shown} | {percentile(times, 0.5):.1f} | {percentile(times, 0.95):.1f} | {note} |")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
