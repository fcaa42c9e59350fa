"""The floor the benchmark compares each page with: a bare Flask route in the same app (same process,
same database, same per-request connection handling) that runs ONE raw SQL statement returning the
rows the page shows (same columns, same WHERE, same ORDER BY, same LIMIT 50) and renders them with a
minimal Jinja template compiled once. No ORM, no session, no permissions, no count, no layout.

A list's statement comes in two forms, both one statement giving the same rows:
- "ids-first" (the floor): the WHERE, ORDER BY and LIMIT pick the 50 ids in a subquery, which SQLite
  answers from an index alone when one covers them; the outer query fetches and joins those 50 rows;
- "plain": SELECT ... JOIN ... WHERE ... ORDER BY ... LIMIT 50, the statement the application sends
  today; SQLite fetches and joins every matching row before it sorts them.
Whatever a page costs above its floor is the application's own overhead: extra queries (the count,
the user and permission look-ups, lazy loads), model instantiation, the layout and the menus.

`/_bench/layout` is a reference, not a floor: a logged-in page rendering base.html around nothing."""

from flask import abort, render_template, request

from core.db import db, is_sqlite
from core.permissions import login_required, public

COLUMNS = (
    "o.id, o.number, o.version, o.status, o.stage_due_at, o.reported_at, o.suspended_until, "
    "c.name AS category, a.name AS grid, d.name AS department, sd.name AS suggested"
)
JOINS = (
    "FROM work_order o "
    "LEFT OUTER JOIN category c ON c.id = o.category_id "
    "LEFT OUTER JOIN area a ON a.id = o.grid_id "
    "LEFT OUTER JOIN department d ON d.id = o.department_id "
    "LEFT OUTER JOIN department sd ON sd.id = o.suggested_department_id"
)
# The inbox order (core.workorders.queries.ordered_parts): most urgent first, then id; suspended cases last,
# which only matters (and is only written) when the list mixes them with others: the department inbox.
URGENT = "ORDER BY o.stage_due_at ASC NULLS LAST, o.id"
ORDER = "ORDER BY CASE WHEN o.status = 'suspended' THEN 1 ELSE 0 END, o.stage_due_at ASC NULLS LAST, o.id"

LIST_TEMPLATE = """<!doctype html><title>floor</title>
<table>{% for r in rows %}
<tr><td><a href="/orders/{{ r[0] }}">{{ r[1] }}</a></td><td>{{ r[3] }}</td><td>{{ r[7] or "—" }}</td>
<td>{{ r[8] or "—" }}</td><td>{{ r[9] or r[10] or "—" }}</td><td>{{ r[4] or "—" }}</td><td>{{ r[5] }}</td></tr>{% endfor %}
</table>"""

CASE_TEMPLATE = """<!doctype html><title>{{ o[1] }}</title>
<h1>{{ o[1] }} {{ o[2] }}</h1>
<dl><dt>category</dt><dd>{{ o[3] or "—" }}</dd><dt>description</dt><dd>{{ o[4] }}</dd>
<dt>grid</dt><dd>{{ o[5] }} {{ o[6] }}</dd><dt>address</dt><dd>{{ o[7] }} {{ o[8] }} {{ o[9] }}</dd>
<dt>source</dt><dd>{{ o[10] }} {{ o[11] }}</dd><dt>caller</dt><dd>{{ o[12] }} {{ o[13] }} {{ o[14] }}</dd>
<dt>department</dt><dd>{{ o[15] or "—" }} {{ o[33] or "" }}</dd><dt>limit</dt><dd>{{ o[16] }} {{ o[17] }}</dd>
<dt>due</dt><dd>{{ o[18] }} ({{ o[19] }})</dd><dt>stage</dt><dd>{{ o[20] }} {{ o[21] }} {{ o[22] }}</dd>
<dt>waiting</dt><dd>{{ o[23] }} {{ o[24] }}</dd><dt>photos</dt><dd>{{ o[25] }}</dd></dl>
<ol class="timeline">{% for r in rows if r[26] %}
<li>{{ r[27] }} <strong>{{ r[28] }}</strong> · {{ r[29] or "system" }} {{ r[30] }} → {{ r[31] }} {{ r[32] }}</li>{% endfor %}
</ol>"""


def _like():
    # peewee's startswith/contains: LIKE on SQLite (case-insensitive for ASCII), ILIKE on PostgreSQL
    return "LIKE" if is_sqlite() else "ILIKE"


def list_sql(box: str, args, form: str = "ids-first") -> tuple[str, list]:
    """The statement of one inbox page, with the WHERE the application builds for it."""
    p = db.obj.param
    where, params = [], []
    if box == "to_dispatch":  # the dispatcher sees everything (workorder.view_all): no scope clause
        where.append(f"o.status IN ({p}, {p})")
        params += ["filed", "returned"]
    elif box == "department":  # the handler's department (implies scope.visible()), the box's statuses
        dept = int(args["dept"])
        if form != "plain":
            return department_sql(dept)
        where.append(f"o.department_id = {p}")
        where.append(f"o.status IN ({p}, {p}, {p})")
        params += [dept, "dispatched", "handling", "suspended"]
    elif box == "filtered":  # box=all for a view_all user, then queries._filtered()
        like = _like()
        where.append(f"o.status = {p}")
        where.append(f"o.grid_id IN (SELECT id FROM area WHERE code {like} {p} OR name {like} {p})")
        where.append(f"o.category_id IN (SELECT id FROM category WHERE code {like} {p} OR name {like} {p})")
        grid, category = args["grid"], args["category"]
        params += [args["status"], f"{grid}%", f"%{grid}%", f"{category}%", f"%{category}%"]
    else:
        abort(404)
    order = ORDER if box == "department" else URGENT
    if form == "plain":
        return f"SELECT {COLUMNS} {JOINS} WHERE {' AND '.join(where)} {order} LIMIT 50", params
    ids = f"SELECT o.id FROM work_order o WHERE {' AND '.join(where)} {order} LIMIT 50"
    return f"SELECT {COLUMNS} {JOINS} WHERE o.id IN ({ids}) {order}", params


def department_sql(dept: int) -> tuple[str, list]:
    """The department inbox, ids-first. Its statuses include "suspended", which sorts last: a CASE in the
    id subquery's ORDER BY would make SQLite sort every case of the department, so the subquery takes
    the first 50 running and the first 50 suspended cases, each in index order, and keeps 50 of those."""
    p = db.obj.param
    part = (
        "SELECT id, {n} AS part, stage_due_at AS due FROM work_order WHERE department_id = {p} AND {status} "
        "ORDER BY stage_due_at ASC NULLS LAST, id LIMIT 50"
    )
    running = part.format(n=0, p=p, status=f"status IN ({p}, {p})")
    paused = part.format(n=1, p=p, status=f"status = {p}")
    ids = (
        f"SELECT id FROM (SELECT id, part, due FROM ({running}) AS running "
        f"UNION ALL SELECT id, part, due FROM ({paused}) AS paused) AS parts "
        "ORDER BY part, due ASC NULLS LAST, id LIMIT 50"
    )
    sql = f"SELECT {COLUMNS} {JOINS} WHERE o.id IN ({ids}) {ORDER}"
    return sql, [dept, "dispatched", "handling", dept, "suspended"]


def case_sql() -> str:
    """One statement for the case page: the case with its names, its photos, and its timeline."""
    p = db.obj.param
    concat = (
        "group_concat(wp.stage || ':' || wp.photo_id)"
        if is_sqlite()
        else "string_agg(wp.stage || ':' || wp.photo_id, ',')"
    )
    photos = f"(SELECT {concat} FROM attachment wp WHERE wp.subject_kind = 'workorder' AND wp.subject_id = o.id)"
    return (
        "SELECT o.id, o.number, o.status, c.name, o.description, a.name, a.code, o.address, o.latitude, "
        "o.longitude, o.source, r.name, o.caller_name, o.caller_phone, o.tracking_code, d.name, "
        "s.limit_text, o.limit_value, o.due_at, o.extensions, o.stage, o.stage_due_at, o.suspended_until, "
        f"o.extension_requested, o.suspension_requested_until, {photos}, "
        "e.id, e.at, e.action, u.name, e.from_status, e.to_status, e.reason, sd.name "
        "FROM work_order o "
        "LEFT OUTER JOIN category c ON c.id = o.category_id "
        "LEFT OUTER JOIN area a ON a.id = o.grid_id "
        "LEFT OUTER JOIN department d ON d.id = o.department_id "
        "LEFT OUTER JOIN department sd ON sd.id = o.suggested_department_id "
        'LEFT OUTER JOIN "user" r ON r.id = o.reporter_id '
        "LEFT OUTER JOIN filing_standard s ON s.id = o.standard_id "
        "LEFT OUTER JOIN work_order_event e ON e.order_id = o.id "
        'LEFT OUTER JOIN "user" u ON u.id = e.actor_id '
        f"WHERE o.id = {p} ORDER BY e.id"
    )


def install(app):
    """Add the floor routes (before the first request). They are public: the floor skips the login."""
    list_template = app.jinja_env.from_string(LIST_TEMPLATE)
    case_template = app.jinja_env.from_string(CASE_TEMPLATE)
    layout_template = app.jinja_env.from_string('{% extends "base.html" %}{% block content %}{% endblock %}')

    @public
    def floor_list(box):
        sql, params = list_sql(box, request.args, request.args.get("form", "ids-first"))
        rows = db.execute_sql(sql, params).fetchall()
        return list_template.render(rows=rows)

    @public
    def floor_case(order_id):
        rows = db.execute_sql(case_sql(), [order_id]).fetchall()
        if not rows:
            abort(404)
        return case_template.render(o=rows[0], rows=rows)

    @login_required
    def layout():
        return render_template(layout_template)  # with the context processors (current_user...)

    app.add_url_rule("/_bench/layout", "bench_layout", layout)
    app.add_url_rule("/_bench/floor/list/<box>", "bench_floor_list", floor_list)
    app.add_url_rule("/_bench/floor/case/<int:order_id>", "bench_floor_case", floor_case)
