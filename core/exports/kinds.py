"""What a kind of export is and how it reads its rows. A kind (`Kind`, from a plugin's `register_exports`
hook) builds its workbook for a user and the filters they chose; its rows are produced lazily and read in
short statements (`in_pages`, `by_ids`): no read stays open across the export, so the progress written
between pages never meets a stale SQLite snapshot (SQLITE_BUSY_SNAPSHOT) however busy the database."""

import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from peewee import (
    SQL,
    Alias,
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Select,
    TextField,
)

from core import plugins
from core.db import db, is_sqlite
from core.org import User
from core.xlsx import Sheet

PAGE_ROWS = 500  # rows read by one statement of `in_pages`


@dataclass(frozen=True)
class Kind:
    """A kind of export. `sheets(user, params)` builds the workbook: its sheets' rows produced lazily (with
    `total` set) and read in short statements (`in_pages`). It is called in the request, to count the rows,
    and again in the export's thread, to write them."""

    name: str  # unique across plugins; ExportJob.kind
    sheets: Callable[[User, dict], list[Sheet]]
    permission: str | None = None  # checked again in the thread: a user who lost it gets no file
    inline_rows: int | None = None  # answered in the request up to this many rows; None: EXPORT_INLINE_ROWS


def kinds() -> dict[str, Kind]:
    """Every kind the enabled plugins registered (register_exports, called once at start-up), by name: a
    disabled or failed plugin's kind is not there."""
    return {kind.name: kind for _, kind in plugins.host().items("register_exports")}


def in_pages(ids: Iterable, fetch: Callable[[list], dict], size: int = PAGE_ROWS) -> Iterator:
    """Rows in short reads: `ids` (a query of one column, in the export's order, read to its end at once),
    then `fetch(page of ids) -> {id: row}` for each page, yielded in the ids' order. No statement is left
    open between two pages; memory holds the ids and one page. A row deleted meanwhile is left out."""
    if isinstance(ids, Select):  # its rows as the driver gives them: ids need no conversion
        ids = db.execute(ids).fetchall()
    order = [row[0] if isinstance(row, tuple) else row for row in ids]
    for start in range(0, len(order), size):
        page_ids = order[start : start + size]
        found = fetch(page_ids)
        for id_ in page_ids:
            if id_ in found:
                yield found[id_]


def by_ids(build: Callable[[object], Select]) -> Callable[[list], list]:
    """A page reader for `in_pages`: `read(page of integer ids)` → the rows of `build(ids)`, a select of an
    export's columns with its joins and a `.where(Model.id.in_(ids))`, as named tuples of the columns'
    names (their aliases), as `.namedtuples()` gives them. The statement is built once, with a stand-in
    for the ids, which each page then passes as one parameter (a JSON array read by json_each on SQLite,
    an array on PostgreSQL): peewee turning a page's 500-id IN list into SQL cost as much as running it.
    Values are converted as peewee converts them, dates and times read straight from their ISO text."""
    stand_in = object()
    if is_sqlite():
        ids_sql = SQL("(SELECT value FROM json_each(?))", [stand_in])
    else:
        ids_sql = SQL("(SELECT unnest(%s::bigint[]))", [stand_in])
    query = build(ids_sql)
    sql, params = query.sql()
    where = next(index for index, param in enumerate(params) if param is stand_in)
    nodes = query._returning
    names = [node._alias if isinstance(node, Alias) else getattr(node, "name", f"c{n}") for n, node in enumerate(nodes)]
    make = namedtuple("Row", names, rename=True)._make
    converters = [(n, convert) for n, node in enumerate(nodes) if (convert := _converter(node.unwrap()))]

    def read(page_ids: list) -> list:
        params[where] = json.dumps(page_ids) if is_sqlite() else list(page_ids)
        rows = db.execute_sql(sql, params).fetchall()
        if not converters:
            return [make(row) for row in rows]
        found = []
        for row in rows:
            row = list(row)
            for n, convert in converters:
                if row[n] is not None:
                    row[n] = convert(row[n])
            found.append(make(row))
        return found

    return read


_PLAIN = (CharField, TextField, IntegerField, BigIntegerField, AutoField, FloatField)  # as the driver gives them


def _converter(node) -> Callable | None:
    """How a selected column's value becomes what peewee would give: None when it already is."""
    if isinstance(node, ForeignKeyField):
        node = node.rel_field
    if type(node) in _PLAIN or not isinstance(node, Field):
        return None
    if isinstance(node, DateTimeField | DateField):
        parse, slow = (datetime if isinstance(node, DateTimeField) else date).fromisoformat, node.python_value

        def iso(value):
            if type(value) is str:
                try:
                    return parse(value)
                except ValueError:
                    pass
            return slow(value)

        return iso
    if isinstance(node, BooleanField):
        return bool
    return node.python_value
