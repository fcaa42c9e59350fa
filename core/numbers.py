"""Numbers people quote: case numbers, notice and decision numbers, permit numbers. Each is the next of a
sequence per series (a name such as "case" or "zombie_cars.notice") and year, kept in one table.

    seq = numbers.next_in("zombie_cars.notice", issued_on.year)   # 1, 2, 3, … each year
    number = f"ZC{issued_on.year}-{seq:04d}"

Unique under concurrency and without gaps: taking a number updates its series' row, which the database
holds locked until the surrounding transaction ends, so call it inside the transaction that stores what is
numbered. Two requests at once wait for each other instead of both taking the same number, and a rolled-back
transaction gives its number back."""

from peewee import CharField, CompositeKey, IntegerField

from core.db import BaseModel, db


class NumberSeries(BaseModel):
    series = CharField(max_length=60)
    year = IntegerField()
    last = IntegerField(default=0)

    class Meta:
        table_name = "number_series"
        primary_key = CompositeKey("series", "year")


def _row(series: str, year: int):
    return (NumberSeries.series == series) & (NumberSeries.year == year)


def next_in(series: str, year: int) -> int:
    """The next number of `series` in `year`, from 1."""
    with db.atomic():  # the increment and its read together, even outside a transaction
        NumberSeries.insert(series=series, year=year, last=0).on_conflict_ignore().execute()
        NumberSeries.update(last=NumberSeries.last + 1).where(_row(series, year)).execute()
        return NumberSeries.select(NumberSeries.last).where(_row(series, year)).scalar()


def last_in(series: str, year: int) -> int:
    """The last number taken in `series` and `year` (0 before the first)."""
    return NumberSeries.select(NumberSeries.last).where(_row(series, year)).scalar() or 0


def continue_after(series: str, year: int, last: int):
    """Make the next number of `series` in `year` follow `last` at least: for numbers given out outside this
    table (a demo's or bench's rows written in bulk, numbers from before a series moved here)."""
    with db.atomic():
        NumberSeries.insert(series=series, year=year, last=last).on_conflict_ignore().execute()
        NumberSeries.update(last=last).where(_row(series, year) & (NumberSeries.last < last)).execute()
