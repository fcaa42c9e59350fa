"""Notice numbers come from the core's numbers (core.numbers, series "zombie_cars.notice") instead of
MAX + 1 with retries: the series of each year starts after the last notice number of that year.

Written by hand; frozen: never edit an applied migration."""

import re

NUMBER = re.compile(r"^ZC(\d{4})-(\d+)$")


def up(migrator, db):
    last = {}
    for (number,) in db.execute_sql("SELECT number FROM zombie_cars_notice").fetchall():
        found = NUMBER.match(number)
        if found:
            year, seq = int(found.group(1)), int(found.group(2))
            last[year] = max(last.get(year, 0), seq)
    for year, seq in sorted(last.items()):
        db.execute_sql(
            f"INSERT INTO number_series (series, year, last) VALUES ({db.param}, {db.param}, {db.param})",
            ("zombie_cars.notice", year, seq),
        )


def down(migrator, db):
    db.execute_sql("DELETE FROM number_series WHERE series = 'zombie_cars.notice'")
