"""Every indicator of domain.md §5, computed from the event log for any period [start, end).

Each indicator is a COUNT of rows of one *measure* (a SQL row set, one row per case and fact) that
satisfy a flag, or a RATE of two such counts. A level's figures come from one grouped query per measure
(a handful per level, never one per object), and the drill-down of any figure runs the very same row set
filtered to one object and the indicator's flag: the list of cases is exactly what was counted.

Stage deadlines come from the events themselves: `workflow.apply` records on every event that stops a
stage clock the stage and its deadline as they stood (`data.ended_stage`, `data.ended_due`). Only events
with `at` < end of the period are looked at for outcomes, so a past period recomputed later gives the
same answer (a still-open case is looked up in its current state, which has not changed since)."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from core.db import db, is_sqlite
from core.evaluation.measures import MEASURES, _p

AREA_LEVELS = ["district", "street", "community", "grid"]
LEVELS = {
    "district": _l("Districts"),
    "street": _l("Streets"),
    "community": _l("Communities"),
    "grid": _l("Unit grids"),
    "department": _l("Departments"),
    "collector": _l("Collectors"),
    "operator": _l("Intake operators"),
    "shift-leader": _l("Shift leaders"),
    "dispatcher": _l("Dispatchers"),
}
PUBLIC_LEVELS = ["district", "street", "community", "department"]  # collectors and operators stay internal


# --- indicators ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    code: str
    label: object
    measure: str
    flag: str = "1 = 1"  # SQL over the measure's columns
    definition: object = ""
    cases: bool = False  # count the cases, not the rows (a reworked case has a row per handling round)


@dataclass(frozen=True)
class Rate:
    code: str
    label: object
    numerator: str
    denominator: str
    definition: object = ""


@dataclass(frozen=True)
class Mean:
    code: str
    label: object
    measure: str
    column: str
    flag: str
    definition: object = ""


C, R = Count, Rate
INDICATORS = {
    i.code: i
    for i in [
        C("reported", _l("Reports"), "reported", definition=_l("cases reported in the period")),
        C("public_reports", _l("Public reports"), "reported", "public = 1", _l("reports from the hotline or citizens")),
        C(
            "public_filed",
            _l("Public reports filed"),
            "filed",
            "public = 1",
            _l("cases filed in the period that the hotline or citizens reported (verified, then filed)"),
        ),
        R("public_report_rate", _l("Public-report rate"), "public_filed", "filed"),
        C(
            "valid_reports",
            _l("Valid reports"),
            "reported",
            "valid = 1",
            _l("reports of the period filed before its end"),
        ),
        R("valid_report_rate", _l("Valid-report rate"), "valid_reports", "reported"),
        C("filed", _l("Filed"), "filed", definition=_l("filing events in the period")),
        C("voided_after_filing", _l("Voided after filing"), "filed", "voided = 1"),
        C("accurate_filed", _l("Accurately filed"), "filed", "voided = 0", _l("filed − voided after filing")),
        R("accurate_filing_rate", _l("Accurate-filing rate"), "accurate_filed", "filed"),
        C("received", _l("Dispatched to"), "dispatched", definition=_l("dispatch events in the period")),
        C("dispatched", _l("Dispatches"), "dispatched"),
        C("returns", _l("Returns"), "returns"),
        C(
            "handled_in_period",
            _l("Handling reports"),
            "handled_events",
            definition=_l("handling reports in the period"),
        ),
        C("closed_in_period", _l("Closings"), "closed_events", definition=_l("cases closed in the period")),
        C(
            "concluded",
            _l("Concluded by a campaign"),
            "concluded",
            definition=_l("cases a campaign ended in the period without them being handled through the loop"),
        ),
        C(
            "concluded_object_gone",
            _l("Ended: object gone"),
            "concluded",
            "outcome = 'object_gone'",
            _l("cases ended in the period because what they were about went away"),
        ),
        C("extensions", _l("Extensions approved"), "extensions"),
        C("suspensions", _l("Suspensions approved"), "suspensions"),
        C("rejected", _l("Not accepted"), "rejected"),
        C("due_to_verify", _l("Due to verify"), "verify"),
        C("verified_on_time", _l("Verified on time"), "verify", "on_time = 1"),
        R("on_time_verification_rate", _l("On-time verification"), "verified_on_time", "due_to_verify"),
        C("due_to_file", _l("Due to file"), "file_step"),
        C("filed_on_time", _l("Filing decided on time"), "file_step", "on_time = 1"),
        R("on_time_filing_rate", _l("On-time filing"), "filed_on_time", "due_to_file"),
        C("due_to_dispatch", _l("Due to dispatch"), "dispatch_step"),
        C("dispatched_on_time", _l("Dispatched on time"), "dispatch_step", "on_time = 1"),
        R("on_time_dispatch_rate", _l("On-time dispatch"), "dispatched_on_time", "due_to_dispatch"),
        C("wrong_dispatches", _l("Wrong dispatches"), "dispatch_step", "wrong = 1"),
        C("accurate_dispatches", _l("Accurate dispatches"), "dispatch_step", "wrong = 0"),
        R("accurate_dispatch_rate", _l("Accurate dispatch"), "accurate_dispatches", "due_to_dispatch"),
        C("due_to_handle", _l("Due to handle"), "handle"),
        C("handled", _l("Handled"), "handle", "done = 1"),
        R("handling_rate", _l("Handling rate"), "handled", "due_to_handle"),
        C(
            "handled_on_time",
            _l("Handled on time"),
            "handle",
            "on_time = 1 AND failed = 0",
            _l("handling rounds reported by their deadline and passing their check"),
        ),
        R("on_time_handling_rate", _l("On-time handling"), "handled_on_time", "due_to_handle"),
        C("overdue_handled", _l("Handled late"), "handle", "done = 1 AND on_time = 0"),
        C("overdue_open", _l("Overdue, not handled"), "handle", "done = 0"),
        C(
            "due_to_close",
            _l("Due to close"),
            "closure",
            definition=_l(
                "cases with a handling deadline in the period, closed in it ahead of a later deadline, or "
                "overdue before it and not closed when it began"
            ),
            cases=True,
        ),
        C("closed", _l("Closed"), "closure", "closed = 1", cases=True),
        R("closure_rate", _l("Closure rate"), "closed", "due_to_close"),
        C("closed_on_time", _l("Closed on time"), "closure", "closed_on_time = 1", cases=True),
        R("on_time_closure_rate", _l("On-time closure"), "closed_on_time", "due_to_close"),
        C(
            "reworked",
            _l("Reworked"),
            "closure",
            "reworked = 1",
            _l("cases sent back for rework at least once"),
            cases=True,
        ),
        R("rework_rate", _l("Rework rate"), "reworked", "due_to_close"),
        C(
            "extended",
            _l("Cases extended"),
            "closure",
            "extended = 1",
            _l("cases with an approved extension"),
            cases=True,
        ),
        R("extension_rate", _l("Extension rate"), "extended", "due_to_close"),
        Mean("mean_handling_hours", _l("Mean handling time (h)"), "handle", "hours", "done = 1"),
        C("due_to_check", _l("Due to re-inspect"), "check"),
        C("checked_on_time", _l("Re-inspected on time"), "check", "on_time = 1"),
        R("on_time_check_rate", _l("On-time re-inspection"), "checked_on_time", "due_to_check"),
        C("due_to_close_step", _l("Due to close (step)"), "close_step"),
        C("closed_on_time_step", _l("Closing step on time"), "close_step", "on_time = 1"),
        R("on_time_closing_rate", _l("On-time closing"), "closed_on_time_step", "due_to_close_step"),
        C("filed_in_grids", _l("Filed in own grids"), "missed"),
        C("missed", _l("Missed (reported by the public)"), "missed", "missed = 1"),
        R("miss_rate", _l("Miss rate"), "missed", "filed_in_grids"),
    ]
}
HANDLING = [
    "due_to_handle", "handled", "handling_rate", "handled_on_time", "on_time_handling_rate", "overdue_handled",
    "overdue_open", "due_to_close", "closed", "closure_rate", "closed_on_time", "on_time_closure_rate",
    "reworked", "rework_rate", "returns", "extensions", "extended", "extension_rate", "suspensions",
    "mean_handling_hours",
]  # fmt: skip
AREA = ["reported", "public_reports", "filed", "public_filed", "public_report_rate", *HANDLING]
LEVEL_INDICATORS = {
    **{level: AREA for level in AREA_LEVELS},
    "department": ["received", *HANDLING, "concluded", "concluded_object_gone"],
    "collector": [
        "reported", "valid_reports", "valid_report_rate", "filed_in_grids", "missed", "miss_rate",
        "due_to_verify", "verified_on_time", "on_time_verification_rate",
        "due_to_check", "checked_on_time", "on_time_check_rate",
    ],
    "operator": ["reported", "valid_reports", "valid_report_rate", "rejected"],
    "shift-leader": [
        "due_to_file", "filed_on_time", "on_time_filing_rate", "filed", "voided_after_filing", "accurate_filed",
        "accurate_filing_rate", "due_to_close_step", "closed_on_time_step", "on_time_closing_rate",
    ],
    "dispatcher": [
        "dispatched", "due_to_dispatch", "dispatched_on_time", "on_time_dispatch_rate", "wrong_dispatches",
        "accurate_dispatches", "accurate_dispatch_rate",
    ],
}  # fmt: skip


def is_rate(code: str) -> bool:
    return isinstance(INDICATORS[code], Rate)


def _counts_needed(codes) -> list[str]:
    needed = []
    for code in codes:
        spec = INDICATORS[code]
        parts = [spec.numerator, spec.denominator] if isinstance(spec, Rate) else [code]
        needed += [p for p in parts if p not in needed]
    return needed


def _sql(sql: str, start: datetime, end: datetime, key=None) -> tuple[str, list]:
    """Named :start, :end and :key into the driver's positional parameters."""
    param = "?" if is_sqlite() else "%s"
    values = {"start": _p(start), "end": _p(end), "key": key}
    params, out = [], []
    for piece in re.split(r":(start|end|key)\b", sql):
        if piece in values:
            out.append(param)
            params.append(values[piece])
        else:
            out.append(piece)
    return "".join(out), params


def compute(level: str, start: datetime, end: datetime, codes=None, by_day: bool = False, keys=None) -> dict:
    """{object key: {indicator code: value}} for every object with any activity (of `keys` only, when
    given). Counts are ints, rates floats 0..1 or None when the denominator is zero, means floats or None.

    by_day: {object key: {date: {code: value}}}, the stage cohorts split by the day of their deadline
    (only indicators of stage measures; the days of a key add up to its figures without by_day, except
    that a case counted once as a case (Count.cases) whose rounds fall due on two days counts on each)."""
    codes = codes or LEVEL_INDICATORS[level]
    counts = _counts_needed(codes)
    by_measure: dict[str, list] = {}
    for code in counts:
        by_measure.setdefault(INDICATORS[code].measure, []).append(INDICATORS[code])
    for code in codes:
        if isinstance(INDICATORS[code], Mean):
            by_measure.setdefault(INDICATORS[code].measure, []).append(INDICATORS[code])
    only, wanted = "", []
    if keys is not None:  # the objects' rows only: a collector's few grids, not all of them grouped and finished
        wanted = [str(k) for k in keys] if level in AREA_LEVELS or level == "city" else [int(k) for k in keys]
        if not wanted:
            return {}
        only = f" AND k IN ({', '.join('?' if is_sqlite() else '%s' for _ in wanted)})"
    raw: dict = {}
    for measure, specs in by_measure.items():
        columns = []
        for spec in specs:
            if isinstance(spec, Mean):
                columns.append(f"AVG(CASE WHEN {spec.flag} THEN {spec.column} END)")
            elif spec.cases:
                columns.append(f"COUNT(DISTINCT CASE WHEN {spec.flag} THEN oid END)")
            else:
                columns.append(f"SUM(CASE WHEN {spec.flag} THEN 1 ELSE 0 END)")
        rows = f"({MEASURES[measure](level, by_day=True)})" if by_day else f"({MEASURES[measure](level)})"
        group = "k, day" if by_day else "k"
        sql = f"SELECT {group}, {', '.join(columns)} FROM {rows} m WHERE k IS NOT NULL{only} GROUP BY {group}"
        sql, params = _sql(sql, start, end)
        params += wanted
        width = 2 if by_day else 1
        for row in db.execute_sql(sql, params).fetchall():
            values = raw.setdefault((_norm(row[0]), row[1]) if by_day else _norm(row[0]), {})
            for spec, value in zip(specs, row[width:], strict=True):
                values[spec.code] = value
    if by_day:
        days: dict = {}
        for (key, day), values in raw.items():
            days.setdefault(key, {})[date.fromisoformat(str(day)[:10])] = _finish(values, codes)
        return days
    return {key: _finish(values, codes) for key, values in raw.items()}


def combined(level: str, keys, start: datetime, end: datetime, codes, by_day: bool = False) -> dict:
    """The objects `keys` of a level taken together (e.g. a collector's unit grids): their counts
    summed and every rate recomputed from the summed numerator and denominator, never averaged. Only
    for levels whose objects do not share rows (areas of one level, departments). Means are not
    supported. by_day: {date: {code: value}}."""
    counts = _counts_needed(codes)
    keys = {str(k) for k in keys}
    found = compute(level, start, end, counts, by_day=by_day, keys=None if level == "city" else keys)
    wanted = [found[k] for k in keys if k in found]
    if not by_day:
        return _finish(_sum(wanted, counts), codes)
    days: dict = {}
    for per_day in wanted:
        for day, values in per_day.items():
            days.setdefault(day, []).append(values)
    return {day: _finish(_sum(rows, counts), codes) for day, rows in days.items()}


def summed(rows, codes) -> dict:
    """The figures `codes` of several rows of figures (objects, or days) taken together: their counts
    summed, every rate recomputed from the summed numerator and denominator. Means are not supported."""
    return _finish(_sum(rows, _counts_needed(codes)), codes)


def _sum(rows, counts) -> dict:
    return {code: sum(row.get(code) or 0 for row in rows) for code in counts}


def _norm(key):
    return str(key) if key is not None else None


def _finish(values: dict, codes) -> dict:
    out = {}
    for code in codes:
        spec = INDICATORS[code]
        if isinstance(spec, Rate):
            num, den = int(values.get(spec.numerator) or 0), int(values.get(spec.denominator) or 0)
            out[code] = None if den == 0 else num / den
        elif isinstance(spec, Mean):
            value = values.get(code)
            out[code] = None if value is None else round(float(value), 2)
        else:
            out[code] = int(values.get(code) or 0)
    return out


def blank(codes) -> dict:
    """The figures `codes` of nothing: counts 0, rates and means None."""
    return _finish({}, codes)


def empty(level: str) -> dict:
    return _finish({}, LEVEL_INDICATORS[level])


def drill(level: str, key: str, code: str, start: datetime, end: datetime, part: str = "numerator") -> list[int]:
    """The ids of the cases behind one figure (a rate: its numerator or its denominator)."""
    spec = INDICATORS[code]
    if isinstance(spec, Rate):
        spec = INDICATORS[spec.numerator if part == "numerator" else spec.denominator]
    sql = f"SELECT DISTINCT oid FROM ({MEASURES[spec.measure](level)}) m WHERE k = :key AND {spec.flag} ORDER BY oid"
    key_value = key if level in AREA_LEVELS or level == "city" else int(key)
    sql, params = _sql(sql, start, end, key_value)
    return [row[0] for row in db.execute_sql(sql, params).fetchall()]


def city_figures(start: datetime, end: datetime) -> dict:
    """The whole city for a period (the dashboard's figures): every area's rows summed, in one pass per
    measure. Rates are floats 0..1, or None when nothing was due."""
    codes = [
        "reported", "filed", "received", "handled_in_period", "closed_in_period", "due_to_handle", "handled",
        "handled_on_time", "on_time_handling_rate", "handling_rate", "due_to_dispatch", "dispatched_on_time",
        "on_time_dispatch_rate", "due_to_close", "closed", "closure_rate", "closed_on_time",
        "on_time_closure_rate", "public_reports", "reworked", "rework_rate", "returns", "extensions",
        "suspensions", "overdue_open",
    ]  # fmt: skip
    values = compute("city", start, end, codes).get("city") or _finish({}, codes)
    values["dispatched"] = values.pop("received")
    values["handled_of_due"] = values.pop("handled")
    values["handled"] = values.pop("handled_in_period")
    values["closed_count"] = values.pop("closed")
    values["closed"] = values.pop("closed_in_period")
    return values
