"""core.numbers: one sequence per series and year, unique when taken at the same moment, given back by a
rollback; the case numbers and the zombie-car notice numbers come from it, continuing after the numbers
given out before it (migrations 0029 and zombie_cars 0004)."""

import importlib.util
import threading
from datetime import date, datetime
from pathlib import Path

import pytest

import core
from app import create_app
from core import clock, numbers
from core.db import db, runner
from plugins.zombie_cars import service
from plugins.zombie_cars.models import Notice
from tests.support import ROOT, in_db
from tests.zombie_support import register, zombie_city


def test_each_series_and_year_counts_from_one(app):
    def take():
        return [
            numbers.next_in("a", 2026),
            numbers.next_in("a", 2026),
            numbers.next_in("b", 2026),
            numbers.next_in("a", 2027),
            numbers.next_in("a", 2026),
        ]

    assert in_db(app, take) == [1, 2, 1, 1, 3]
    assert in_db(app, lambda: (numbers.last_in("a", 2026), numbers.last_in("c", 2026))) == (3, 0)


def test_a_rolled_back_transaction_gives_its_number_back(app):
    class Undone(Exception):
        pass

    def take():
        numbers.next_in("notice", 2026)
        with pytest.raises(Undone), db.atomic():
            assert numbers.next_in("notice", 2026) == 2
            raise Undone
        return numbers.next_in("notice", 2026)

    assert in_db(app, take) == 2


def test_continue_after_never_moves_a_series_back(app):
    def run():
        numbers.continue_after("permit", 2026, 41)
        first = numbers.next_in("permit", 2026)
        numbers.continue_after("permit", 2026, 10)
        return first, numbers.next_in("permit", 2026)

    assert in_db(app, run) == (42, 43)


def test_numbers_taken_at_the_same_moment_are_all_different(app):
    """16 threads, each with its own connection and transaction, take a number at once: 1 to 16, each once."""
    taken, errors = [], []
    start = threading.Barrier(16)

    def take():
        try:
            with app.app_context(), db.connection_context():
                start.wait()
                with db.atomic():
                    taken.append(numbers.next_in("case", 2030))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=take) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(taken) == list(range(1, 17))


def test_migration_0029_continues_the_case_numbers(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40})
    migrations = runner("core", str(Path(core.__file__).parent / "migrations"))
    with app.app_context(), db.connection_context():
        migrations.up(target="0028_saved_filters")
        db.execute_sql("INSERT INTO number_counter (year, last) VALUES (2026, 41)")
        migrations.up()
        assert numbers.next_in("case", 2026) == 42
        assert "number_counter" not in db.get_tables()


def test_a_case_takes_the_next_case_number(app, city):
    from core.workorders import workflow

    assert in_db(app, lambda: (workflow.next_number(2026), workflow.next_number(2026))) == (
        "2026-000001",
        "2026-000002",
    )


def _zombie_migration():
    path = ROOT / "plugins" / "zombie_cars" / "migrations" / "0004_notice_numbers_series.py"
    spec = importlib.util.spec_from_file_location("zombie_cars_0004", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notice_numbers_continue_after_those_given_before_the_series(app):
    city = zombie_city()
    with app.app_context(), db.connection_context(), clock.frozen(datetime(2026, 11, 2, 9, 0)):
        first = service.notify(register(city), city.users["dispatcher"])
        assert first.number == "ZC2026-0001"
        # as before the series: the numbers were the notices' own, the last one of 2026 ZC2026-0041
        Notice.update(number="ZC2026-0041").where(Notice.id == first.id).execute()
        db.execute_sql("DELETE FROM number_series WHERE series = 'zombie_cars.notice'")
        _zombie_migration().up(None, db)
        second = service.notify(register(city, plate="湘F54321"), city.users["dispatcher"], date(2026, 11, 2))
    assert second.number == "ZC2026-0042"
