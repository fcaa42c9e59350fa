"""The measures behind every indicator (core/evaluation/indicators.py): each a SQL row set over the event
log, one row per case and fact, keyed by the object of a level, with the flags its indicators count. The
dialect pieces make one text serve SQLite and PostgreSQL."""

from datetime import datetime

from core.db import is_sqlite
from core.evaluation.rules import rules

PUBLIC_SOURCES = "('hotline', 'citizen')"
AREA_LENGTHS = {"district": 6, "street": 9, "community": 12}
POST_LEVELS = ["collector", "operator", "shift-leader", "dispatcher"]
# The statuses in which each stage clock runs (states.STAGE_OF), for the cases still in that stage.
STAGE_STATUSES = {
    "verify": "('to_verify')",
    "file": "('reported')",
    "dispatch": "('filed', 'returned')",
    "handle": "('dispatched', 'handling')",
    "check": "('handled')",
    "close": "('checked')",
}


# --- dialect pieces ------------------------------------------------------------------------------


def _json(column: str, key: str) -> str:
    if is_sqlite():
        return f"json_extract({column}, '$.{key}')"
    return f"({column}::json ->> '{key}')"


def _due(column="e.data") -> str:
    """The deadline of the stage an event stopped, as text ("2026-10-08 17:30:00", the form the
    parameters have too). The expression matches the index of migration 0010."""
    if is_sqlite():
        return f"json_extract({column}, '$.ended_due')"
    return f"({column}::json ->> 'ended_due')"


def _at_text(column: str) -> str:
    return column if is_sqlite() else f"to_char({column}, 'YYYY-MM-DD HH24:MI:SS')"


def _np(column: str) -> str:
    """A column the SQLite planner must not pick an index for (unary plus): the correlated look-ups go
    by case id, the cohorts by deadline."""
    return f"+{column}" if is_sqlite() else column


def _hours(later: str, earlier: str) -> str:
    if is_sqlite():
        return f"((julianday({later}) - julianday({earlier})) * 24.0)"
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0)"


def _p(value: datetime) -> str:
    """Parameters as text in the form SQLite stores times in (PostgreSQL casts them to the column's type)."""
    return str(value.replace(microsecond=0))


# --- measures: one row set each ------------------------------------------------------------------


def _key(level: str, source: str) -> tuple[str, str]:
    """(the object's key for event rows, for rows of cases in their current state). `a` is the area
    of the case's grid, `e` the event, `o` the case."""
    if level in AREA_LENGTHS:
        expr = f"substr(a.code, 1, {AREA_LENGTHS[level]})"
        return expr, expr
    if level == "grid":
        return "a.code", "a.code"
    if level == "department":
        return "e.department_id", "o.department_id"
    if level == "city":
        return "'city'", "'city'"
    return "e.actor_id", "NULL"


JOIN_AREA = "LEFT OUTER JOIN area a ON a.id = o.grid_id"
EV = "work_order_event"


def _exists(action: str, extra: str = "", unless: str = "") -> str:
    """1 when the case has an event `action` before the end of the period. `unless`: a cheap test on
    the case's own columns under which no such event can exist (saves the look-up for most cases)."""
    look = (
        f"EXISTS (SELECT 1 FROM {EV} x WHERE x.order_id = o.id AND {_np('x.action')} = '{action}' "
        f"AND {_np('x.at')} < :end {extra})"
    )
    if unless:
        return f"(CASE WHEN {unless} THEN 0 WHEN {look} THEN 1 ELSE 0 END)"
    return f"(CASE WHEN {look} THEN 1 ELSE 0 END)"


def _reported(level):
    key, _ = _key(level, "event")
    where = ""
    if level == "collector":
        where = "AND o.source = 'collector'"
    elif level == "operator":
        where = f"AND o.source IN {PUBLIC_SOURCES}"
    public = f"(CASE WHEN o.source IN {PUBLIC_SOURCES} THEN 1 ELSE 0 END)"
    return f"""SELECT o.id AS oid, {key} AS k, {public} AS public, (CASE WHEN o.filed_at < :end THEN 1 ELSE 0 END) AS valid
        FROM {EV} e JOIN work_order o ON o.id = e.order_id {JOIN_AREA}
        WHERE e.action = 'create' AND e.at >= :start AND e.at < :end {where}"""


def _filed(level):
    key, _ = _key(level, "event")
    voided = _exists("void", "AND x.from_status = 'filed'", unless="o.status <> 'voided'")
    public = f"(CASE WHEN o.source IN {PUBLIC_SOURCES} THEN 1 ELSE 0 END)"
    return f"""SELECT o.id AS oid, {key} AS k, {voided} AS voided, {public} AS public
        FROM {EV} e JOIN work_order o ON o.id = e.order_id {JOIN_AREA}
        WHERE e.action = 'file' AND e.at >= :start AND e.at < :end"""


def _events(action):
    def measure(level):
        key, _ = _key(level, "event")
        return f"""SELECT o.id AS oid, {key} AS k
            FROM {EV} e JOIN work_order o ON o.id = e.order_id {JOIN_AREA}
            WHERE e.action = '{action}' AND e.at >= :start AND e.at < :end"""

    return measure


def _stage(stage):
    """Stage instances whose deadline falls in the period: those that ended (whenever: `done` only if
    before the end of the period) and those still running now. For handling: the rounds that ended with
    a handling report (a return is counted as a return, not as handling). `by_day` adds the column
    `day`, the deadline's date as "YYYY-MM-DD" text."""

    def measure(level, by_day=False, window="due"):
        key, open_key = _key(level, "event")
        due = _due()
        ended = f"{_json('e.data', 'ended_stage')} = '{stage}'"
        if stage == "handle":
            ended += f" AND {_np('e.action')} = 'report_handled'"
        wrong = "0"
        if stage == "dispatch":
            # a wrong dispatch: the next status change after it is the department's return
            wrong = (
                f"(CASE WHEN o.returns = 0 OR {_np('e.action')} <> 'dispatch' THEN 0 WHEN EXISTS (SELECT 1 "
                f"FROM {EV} r WHERE r.order_id = e.order_id AND {_np('r.action')} = 'return' AND r.id > e.id AND {_np('r.at')} < :end AND NOT EXISTS "
                f"(SELECT 1 FROM {EV} d WHERE d.order_id = e.order_id AND {_np('d.action')} = 'dispatch' "
                f"AND d.id > e.id AND d.id < r.id)) "
                f"THEN 1 ELSE 0 END)"
            )
        extra, open_extra = "", ""
        if stage == "handle":
            # a case is closed once, and its closed_at is its close event's time
            # closed by the loop: a concluded case (outcome set) was not closed by its department's work
            is_closed = "o.closed_at < :end AND o.outcome = ''"
            closed = f"(CASE WHEN {is_closed} THEN 1 ELSE 0 END)"
            reworked = _exists("check_fail", "AND x.at >= e.at", unless="o.reworks = 0")
            # this round's own check failed: a check_fail after this report and before the next one
            failed = (
                f"(CASE WHEN o.reworks = 0 THEN 0 WHEN EXISTS (SELECT 1 FROM {EV} x WHERE x.order_id = e.order_id "
                f"AND {_np('x.action')} = 'check_fail' AND x.id > e.id AND {_np('x.at')} < :end AND NOT EXISTS "
                f"(SELECT 1 FROM {EV} y WHERE y.order_id = e.order_id AND {_np('y.action')} = 'report_handled' "
                f"AND y.id > e.id AND y.id < x.id)) THEN 1 ELSE 0 END)"
            )
            closed_on_time = _closed_on_time(level, is_closed, f"{_at_text('e.at')} <= {due}", due, failed)
            extended = _exists("approve_extension", unless="o.extensions = 0")
            # from this department's dispatch: the last dispatch before the report, not the first of the case
            dispatched = (
                f"(SELECT MAX(d.at) FROM {EV} d WHERE d.order_id = e.order_id AND {_np('d.action')} = 'dispatch' "
                "AND d.id < e.id)"
            )
            hours = _hours("e.at", dispatched)
            extra = (
                f", {closed} AS closed, {closed_on_time} AS closed_on_time, {reworked} AS reworked, "
                f"{failed} AS failed, {extended} AS extended, {hours} AS hours"
            )
            open_extra = (
                f", 0 AS closed, 0 AS closed_on_time, 0 AS reworked, 0 AS failed, {extended} AS extended, NULL AS hours"
            )
        in_window, open_in_window, day_of, open_day_of = _window(window, due)
        day, open_day = "", ""
        if by_day:
            day, open_day = f", substr({day_of}, 1, 10) AS day", f", substr({open_day_of}, 1, 10) AS day"
        ended_rows = f"""SELECT o.id AS oid, {key} AS k{day}, (CASE WHEN e.at < :end THEN 1 ELSE 0 END) AS done,
                (CASE WHEN {_at_text("e.at")} <= {due} THEN 1 ELSE 0 END) AS on_time, {wrong} AS wrong{extra}
            FROM {EV} e JOIN work_order o ON o.id = e.order_id {JOIN_AREA}
            WHERE {in_window} AND {ended}"""
        open_rows = f"""SELECT o.id AS oid, {open_key} AS k{open_day}, 0 AS done, 0 AS on_time, 0 AS wrong{open_extra}
            FROM work_order o {JOIN_AREA}
            WHERE o.status IN {STAGE_STATUSES[stage]} AND {open_in_window}"""
        # A suspended case is in no cohort while its clock stands still (its status is in no stage); once
        # resumed, its deadline has moved by the paused time and it is due in that deadline's period.
        if level in POST_LEVELS or open_in_window is None:
            return ended_rows
        return f"{ended_rows} UNION ALL {open_rows}"

    return measure


def _window(window: str, due: str) -> tuple:
    """(ended rounds' condition, open cases' condition or None, the day of an ended row, of an open row).
    "due": the deadline is in the period (every stage measure). The case-level cohorts of handling
    (`_closure`): "due_unclosed", the same without the cases closed before the period began (counted as
    early closures then); "carried", overdue before the period and not closed when it began (上期应结未结);
    "early", closed in the period ahead of a deadline after it."""
    in_period = f"{due} >= :start AND {due} < :end"
    open_in_period = "o.stage_due_at >= :start AND o.stage_due_at < :end"
    by_due, by_open_due = due, _at_text("o.stage_due_at")
    not_closed_before = "(o.closed_at >= :start OR o.closed_at IS NULL)"
    if window == "due":
        return in_period, open_in_period, by_due, by_open_due
    if window == "due_unclosed":
        return f"{in_period} AND {not_closed_before}", open_in_period, by_due, by_open_due
    if window == "carried":  # driven by the few cases open at the start; +: not by the deadline index
        start_day = "CAST(:start AS VARCHAR(19))"
        ended = f"{not_closed_before} AND o.status <> 'voided' AND {_np(due)} < :start"
        return ended, "o.stage_due_at < :start", start_day, start_day
    if window == "early":
        closed_in_period = "o.closed_at >= :start AND o.closed_at < :end AND o.outcome = ''"
        return f"{closed_in_period} AND {due} >= :end", None, _at_text("o.closed_at"), None
    raise ValueError(window)


def _closure(level, by_day=False):
    """The cases due to close in the period, one row or more per case (the indicators count cases): those
    with a handling deadline in it, and by the rules (core.evaluation.rules) those closed in it ahead of a
    later deadline (counted then, not again in their deadline's period) and those overdue before it and
    not closed when it began, until they close."""
    chosen = rules()
    columns = "h.oid AS oid, h.k AS k, " + ("h.day AS day, " if by_day else "")
    columns += "h.closed AS closed, h.closed_on_time AS closed_on_time, h.reworked AS reworked, h.extended AS extended"
    handle = MEASURES["handle"]
    windows = ["due_unclosed", "early"] if chosen.count_early_closures else ["due"]
    if chosen.carry_over_overdue:
        windows.append("carried")
    return " UNION ALL ".join(f"SELECT {columns} FROM ({handle(level, by_day, w)}) h" for w in windows)


def _closed_on_time(level, is_closed, round_on_time, due, failed) -> str:
    """按期结案 for a handling round's row (a case counts once: any of its rows). A department is judged on
    its own stage: the case closed, this round reported by its deadline and passing its check. Areas and
    the city by the whole-case rule (core.evaluation.rules)."""
    rule = "own_stage" if level == "department" else rules().case_on_time
    if rule == "handling_deadline":
        return f"(CASE WHEN {is_closed} AND {_at_text('o.closed_at')} <= {due} THEN 1 ELSE 0 END)"
    own = f"{is_closed} AND {round_on_time} AND {failed} = 0"
    if rule == "own_stage":
        return f"(CASE WHEN {own} THEN 1 ELSE 0 END)"
    # every_stage: besides, no stage of the case (whoever's) ended after its deadline before the period's end
    late = (
        f"EXISTS (SELECT 1 FROM {EV} x WHERE x.order_id = o.id AND {_np('x.at')} < :end "
        f"AND {_due('x.data')} IS NOT NULL AND {_at_text('x.at')} > {_due('x.data')})"
    )
    return f"(CASE WHEN {own} AND NOT {late} THEN 1 ELSE 0 END)"


def _missed(level):
    """Collectors: cases filed in their grids, and among them those first reported by the public."""
    return f"""SELECT o.id AS oid, ga.user_id AS k,
            (CASE WHEN o.source IN {PUBLIC_SOURCES} THEN 1 ELSE 0 END) AS missed
        FROM {EV} e JOIN work_order o ON o.id = e.order_id JOIN area a ON a.id = o.grid_id
        JOIN grid_assignment ga ON 1 = 1 JOIN area ga_area ON ga_area.id = ga.area_id
        WHERE e.action = 'file' AND e.at >= :start AND e.at < :end
            AND substr(a.code, 1, length(ga_area.code)) = ga_area.code"""


def _concluded(level):
    """Cases a campaign concluded (core.workorders.cases.conclude) in the period, with the outcome. The
    conclusion stops no stage clock: those cases are in no stage cohort, only here."""
    key, _ = _key(level, "event")
    return f"""SELECT o.id AS oid, {key} AS k, {_json("e.data", "outcome")} AS outcome
        FROM {EV} e JOIN work_order o ON o.id = e.order_id {JOIN_AREA}
        WHERE e.action = 'conclude' AND e.at >= :start AND e.at < :end"""


MEASURES = {
    "reported": _reported,
    "filed": _filed,
    "dispatched": _events("dispatch"),
    "returns": _events("return"),
    "extensions": _events("approve_extension"),
    "suspensions": _events("approve_suspension"),
    "rejected": _events("reject"),
    "handled_events": _events("report_handled"),
    "closed_events": _events("close"),
    "verify": _stage("verify"),
    "file_step": _stage("file"),
    "dispatch_step": _stage("dispatch"),
    "handle": _stage("handle"),
    "closure": _closure,
    "check": _stage("check"),
    "close_step": _stage("close"),
    "missed": _missed,
    "concluded": _concluded,
}
