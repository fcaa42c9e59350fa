"""Tables (every object of a level with its figures, deductions, score, grade and rank), the city
bulletin, and snapshots: a period's tables frozen as versions. A draft may be recomputed; publishing
freezes it; republishing computes a new version, publishes it and keeps the old one for comparison."""

from datetime import datetime

from flask_babel import gettext as _
from peewee import fn

from core import audit, clock
from core.areas import Area
from core.db import db
from core.evaluation import indicators, periods, scores
from core.evaluation import rules as evaluation_rules
from core.evaluation.indicators import AREA_LEVELS, LEVEL_INDICATORS, LEVELS, _sql
from core.evaluation.measures import MEASURES
from core.evaluation.models import Deduction, Snapshot, SnapshotVersion
from core.org import Department, Role, User, UserRole
from core.scheduler import N_, Summary

POST_ROLES = {
    "collector": "collector",
    "operator": "intake",
    "shift-leader": "shift_leader",
    "dispatcher": "dispatcher",
}


LIST_SIZE = 3


class SnapshotError(Exception):
    pass


# --- objects of a level --------------------------------------------------------------------------


def objects(level: str, on: datetime) -> dict[str, str]:
    """key → display name of every object of a level (also those without any case)."""
    if level in AREA_LEVELS:
        day = on.date()
        query = Area.select(Area.code, Area.name).where(
            (Area.level == level)
            & (Area.valid_from.is_null() | (Area.valid_from <= day))
            & (Area.valid_to.is_null() | (Area.valid_to > day))
        )
        return {a.code: a.name for a in query}
    if level == "department":
        query = Department.select(Department.id, Department.name).where(
            Department.type.in_(["professional", "district"])
        )
        return {str(d.id): d.name for d in query}
    role = POST_ROLES[level]
    query = User.select(User.id, User.name).join(UserRole).join(Role).where(Role.code == role)
    return {str(u.id): u.name for u in query}


def names(level: str, keys) -> dict[str, str]:
    keys = [k for k in keys if k is not None]
    if not keys:
        return {}
    if level in AREA_LEVELS:
        return {a.code: a.name for a in Area.select(Area.code, Area.name).where(Area.code.in_(keys))}
    model = Department if level == "department" else User
    return {str(r.id): r.name for r in model.select(model.id, model.name).where(model.id.in_([int(k) for k in keys]))}


def deductions(level: str, start: datetime, end: datetime) -> dict[str, float]:
    query = (
        Deduction.select(Deduction.object_key, fn.SUM(Deduction.points))
        .where(
            (Deduction.level == level)
            & (Deduction.day >= start.date())
            & (Deduction.day < end.date())
            & Deduction.withdrawn_at.is_null()
        )
        .group_by(Deduction.object_key)
        .tuples()
    )
    return {key: float(total) for key, total in query}


def table(level: str, period: periods.Period, cfg: dict | None = None) -> dict:
    """Every object of the level with its figures and score, ranked (best first; no score last)."""
    cfg = cfg or scores.config()
    # A period still running is computed up to now: a stage whose deadline is still ahead is not due yet.
    figures = indicators.compute(level, period.start, min(period.end, clock.now()))
    known = objects(level, period.end)
    missing = [k for k in figures if k not in known]
    known.update(names(level, missing))
    taken = deductions(level, period.start, period.end)
    rows = []
    for key, name in known.items():
        values = figures.get(key) or indicators.empty(level)
        deduction = taken.get(key, 0.0)
        score, grade, formula = scores.score(level, values, deduction, cfg)
        rows.append(
            {"key": key, "name": name, "values": values, "deduction": deduction, "score": score, "grade": grade,
             "formula": formula}
        )  # fmt: skip
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"], r["key"]))
    rank = 0
    for index, row in enumerate(rows, start=1):
        if row["score"] is not None:
            rank = index
        row["rank"] = rank if row["score"] is not None else None
    # 红黑榜: the best and the worst ranked (three each, when at least six are ranked)
    ranked = [r for r in rows if r["rank"] is not None]
    for row in rows:
        row["list"] = ""
    if len(ranked) >= 2 * LIST_SIZE:
        for row in ranked[:LIST_SIZE]:
            row["list"] = "red"
        for row in ranked[-LIST_SIZE:]:
            row["list"] = "black"
    return {
        "level": level,
        "indicators": LEVEL_INDICATORS[level],
        "score_indicators": [component[0] for component in cfg["levels"][level]["components"]],
        "components": [list(component) for component in cfg["levels"][level]["components"]],
        "band": cfg["levels"][level]["band"],
        "formula": scores.formula_text(level, cfg),
        "rows": rows,
    }


# --- the bulletin --------------------------------------------------------------------------------


def bulletin(period: periods.Period) -> dict:
    """The city's month in figures for the public: totals and rates, sources, categories, hotspots,
    components versus events. No person appears in it."""
    start, end = period.start, period.end
    city = indicators.city_figures(start, end)

    def grouped(sql, limit=None):
        sql, params = _sql(sql + (f" LIMIT {int(limit)}" if limit else ""), start, end)
        return db.execute_sql(sql, params).fetchall()

    def base(action, join=""):
        return (
            f"FROM work_order_event e JOIN work_order o ON o.id = e.order_id {join} "
            f"WHERE e.action = '{action}' AND e.at >= :start AND e.at < :end"
        )

    sources = grouped(f"SELECT o.source, COUNT(*) {base('create')} GROUP BY o.source ORDER BY COUNT(*) DESC")
    categories = grouped(
        f"SELECT c.code, c.name, c.kind, COUNT(*) {base('file', 'JOIN category c ON c.id = o.category_id')} "
        "GROUP BY c.id, c.code, c.name, c.kind ORDER BY COUNT(*) DESC, c.code",
    )
    kinds: dict[str, int] = {}
    for _code, _name, kind, count in categories:
        kinds[kind] = kinds.get(kind, 0) + count
    in_area = "JOIN area a ON a.id = o.grid_id"
    hotspots = grouped(
        f"SELECT substr(a.code, 1, 9), COUNT(*) {base('create', in_area)} "
        "GROUP BY substr(a.code, 1, 9) ORDER BY COUNT(*) DESC, substr(a.code, 1, 9)",
        10,
    )
    grids = grouped(
        f"SELECT a.code, a.name, COUNT(*) {base('create', in_area)} "
        "GROUP BY a.code, a.name ORDER BY COUNT(*) DESC, a.code",
        10,
    )
    handling = {kind: dict.fromkeys(("due_to_close", "closed", "closed_on_time"), 0) for kind in ("component", "event")}
    for kind, *figures in grouped(
        "SELECT c.kind, COUNT(DISTINCT m.oid), COUNT(DISTINCT CASE WHEN m.closed = 1 THEN m.oid END), "
        "COUNT(DISTINCT CASE WHEN m.closed_on_time = 1 THEN m.oid END) "
        f"FROM ({MEASURES['closure']('city')}) m JOIN work_order o ON o.id = m.oid "
        "JOIN category c ON c.id = o.category_id GROUP BY c.kind"
    ):
        counts = handling["component" if kind == "component" else "event"]
        for name, count in zip(list(counts), figures, strict=True):
            counts[name] += count
    street_names = names("street", [h[0] for h in hotspots])
    from core.workorders.models import SOURCES

    return {
        "figures": city,
        "sources": [{"source": s, "label": str(SOURCES.get(s, s)), "count": n} for s, n in sources],
        "categories": [{"code": c, "name": n, "kind": k, "count": x} for c, n, k, x in categories[:10]],
        "kinds": {
            "component": kinds.get("component", 0),
            "event": sum(v for k, v in kinds.items() if k != "component"),
        },
        "kinds_handling": handling,  # due to close, closed, closed on time (cases), as the city's figures
        "hot_streets": [{"code": code, "name": street_names.get(code, code), "count": n} for code, n in hotspots],
        "hot_grids": [{"code": c, "name": n, "count": x} for c, n, x in grids],
    }


# --- snapshots -----------------------------------------------------------------------------------


def compute(period: periods.Period) -> dict:
    cfg = scores.config()
    return {
        "period": period.key,
        "kind": period.kind,
        "start": str(period.start),
        "end": str(period.end),
        "computed_at": str(clock.now()),
        "levels": {level: table(level, period, cfg) for level in LEVELS},
        "bulletin": bulletin(period),
        "scoring": cfg,
        "rules": evaluation_rules.as_dict(),  # how cases were counted (core.evaluation.rules)
    }


def current_draft(snapshot: Snapshot) -> SnapshotVersion | None:
    last = snapshot.versions.order_by(SnapshotVersion.number.desc()).first()
    return last if last and last.published_at is None else None


def published(snapshot: Snapshot) -> SnapshotVersion | None:
    return (
        snapshot.versions.where(SnapshotVersion.published_at.is_null(False))
        .order_by(SnapshotVersion.number.desc())
        .first()
    )


def prepare(period: periods.Period) -> SnapshotVersion:
    """Compute the period into its draft version (a new draft after the last published one, or the
    existing draft recomputed). Published versions are never touched."""
    data = compute(period)
    with db.atomic():
        snapshot, _created = Snapshot.get_or_create(period=period.key, defaults={"kind": period.kind})
        draft = current_draft(snapshot)
        if draft is None:
            number = (snapshot.versions.select(fn.MAX(SnapshotVersion.number)).scalar() or 0) + 1
            draft = SnapshotVersion.create(snapshot=snapshot, number=number, computed_at=clock.now(), data=data)
        else:
            SnapshotVersion.update(computed_at=clock.now(), data=data).where(SnapshotVersion.id == draft.id).execute()
            draft = SnapshotVersion.get_by_id(draft.id)
    return draft


def publish(version_id: int, user, note: str = "") -> SnapshotVersion:
    """Publish a draft. A version already published stays as it is (a second click does nothing)."""
    with db.atomic():
        version = SnapshotVersion.get_or_none(SnapshotVersion.id == version_id)
        if version is None:
            raise SnapshotError(_("There is no such snapshot version."))
        if version.published_at is not None:
            raise SnapshotError(_("This version is already published; republish to publish a new one."))
        previous = published(version.snapshot)
        if previous is not None and not (note or "").strip():
            raise SnapshotError(_("Say why the published ranking is being replaced."))
        updated = (
            SnapshotVersion.update(published_at=clock.now(), published_by=user, note=(note or "").strip())
            .where((SnapshotVersion.id == version.id) & SnapshotVersion.published_at.is_null())
            .execute()
        )
        if updated != 1:
            raise SnapshotError(_("This version is already published; republish to publish a new one."))
        audit.record(
            "evaluation.publish" if previous is None else "evaluation.republish",
            "snapshot",
            version.snapshot.period,
            f"{version.snapshot.period} v{version.number}",
            before={"version": previous.number} if previous else None,
            after={"version": version.number, "note": note},
        )
    return SnapshotVersion.get_by_id(version.id)


def diff(old: dict, new: dict) -> list[dict]:
    """What changed between two versions: per level and object, the figures, scores and ranks that differ."""
    changes = []
    for level, new_table in new["levels"].items():
        old_rows = {r["key"]: r for r in old.get("levels", {}).get(level, {}).get("rows", [])}
        for row in new_table["rows"]:
            before = old_rows.pop(row["key"], None)
            if before is None:
                changes.append({"level": level, "name": row["name"], "what": "added", "fields": []})
                continue
            fields = []
            for name in ("score", "grade", "rank", "deduction"):
                if before.get(name) != row.get(name):
                    fields.append((name, before.get(name), row.get(name)))
            for code, value in row["values"].items():
                if before["values"].get(code) != value:
                    fields.append((code, before["values"].get(code), value))
            if fields:
                changes.append({"level": level, "name": row["name"], "what": "changed", "fields": fields})
        for row in old_rows.values():
            changes.append({"level": level, "name": row["name"], "what": "removed", "fields": []})
    return changes


def latest_published(kind: str = "month") -> SnapshotVersion | None:
    return (
        SnapshotVersion.select(SnapshotVersion, Snapshot)
        .join(Snapshot)
        .where((Snapshot.kind == kind) & SnapshotVersion.published_at.is_null(False))
        .order_by(Snapshot.period.desc(), SnapshotVersion.number.desc())
        .first()
    )


def _job(kind: str) -> Summary:
    period = periods.previous(kind, clock.now())
    with db.connection_context():
        version = prepare(period)
    return Summary(N_("%(period)s: draft v%(version)d ready for review"), period=period.key, version=version.number)


def weekly_job() -> Summary:
    return _job("week")


def monthly_job() -> Summary:
    return _job("month")


AREA_LEVELS_AND_CITY = {*AREA_LEVELS, "city"}
