"""THE plugin API. Every hook Xiuhua calls is declared here, once, with what it is given and what it
returns. docs/plugins.md documents each under its exact signature; tests/test_hook_contract.py fails
when one is undocumented or has no test.

Registration hooks (register_*, config_defaults, map_measures) are called once, when the application is
created, plugin by plugin: a plugin whose registration hook raises is disabled — nothing it registered is used — and
shown on /admin/plugins, while the others carry on. Ids (blueprint names, permission names, role
codes, job ids, export and import names, measure names, attachment kinds) must be unique across plugins: a clash stops start-up,
naming both plugins. Request-time hooks (menus, widgets, grid sections, map layers) are called per request; a
plugin that raises there is logged and left out of that page. A disabled or failed plugin's hooks are never
called: it contributes nothing anywhere.
"""

import pluggy

hookspec = pluggy.HookspecMarker("xiuhua")
hookimpl = pluggy.HookimplMarker("xiuhua")


@hookspec
def register_migrations():
    """Called at start-up. Return the path of a folder of numbered migration files
    (`0001_initial.py`, ...) for this plugin's tables, or None. They run with `flask db upgrade`
    after the core's, with their own history table `migrations_<plugin>`."""


@hookspec
def register_blueprints():
    """Called at start-up. Return a list of Flask blueprints. Every view must declare its
    permission with `core.permissions.requires` (or `public`); blueprint names must be unique."""


@hookspec
def register_commands(cli):
    """Called at start-up with the application's click group: add `flask` sub-commands to it."""


@hookspec
def register_permissions():
    """Called at start-up. Return a list of dicts `{"name": "plugin.action", "label": str,
    "roles": ["admin", ...]}`. Each `flask db upgrade` grants the permission to exactly these roles
    (and those whose register_roles lists it), except for the roles an administrator granted or
    revoked it for on /admin/roles: those choices stand."""


@hookspec
def register_roles():
    """Called at start-up. Return a list of dicts `{"code": str, "name": str, "permissions": [...]}`
    for roles this plugin adds. Created once; their listed permissions follow the code like a
    permission's `roles` (see register_permissions)."""


@hookspec
def register_jobs():
    """Called at start-up. Return a list of `core.scheduler.JobSpec` with stable ids. The scheduler
    process runs them; ids must be unique across plugins."""


@hookspec
def register_audit_actions():
    """Called at start-up. Return a list of `core.audit.AuditAction`, one per action code this
    plugin passes to `core.audit.record()`: the sentence the audit log shows for it (a lazy msgid
    with `%(object)s` where the object's name goes, e.g. `_l("towed away vehicle %(object)s")`), a
    `link(object_id)` returning the object's URL (or None), and `fields`, labels for the keys the
    entry records before and after. The log renders them in the reader's language; an action code
    nobody describes is shown as its code. Codes must be unique across plugins."""


@hookspec
def config_defaults():
    """Called at start-up. Return a dict of this plugin's configuration keys and their defaults,
    e.g. `{"ZOMBIE_NOTICE_DAYS": 7}`. instance/config.py and `XIUHUA_<KEY>` environment variables
    override them (environment strings are converted to the default's type). Keys must be unique
    and may not be the core's own (core/config.py DEFAULTS)."""


@hookspec
def register_categories():
    """Called at start-up. Return a list of dicts describing the catalogue categories this plugin's
    cases use, each with its filing standards:
    `{"kind": "event", "class_code": "90", "class_name": str, "code": "9001", "name": str,
    "department": "parking", "standards": [{"filing_condition": str, "limit": "5工作日",
    "closing_condition": str, "handling_unit": str}]}`. `flask db upgrade` creates or updates them
    in every catalogue edition; `department` (a department code) becomes the default department
    of a category that has none, so an administrator's choice stands. A category no plugin registers
    any more is retired: kept for old cases, offered in no picker. Use class codes 90–99, which the
    national catalogue leaves free; (kind, code) must be unique across plugins. A component and an event
    may share a code, so look your category up by edition, kind and code, never by code alone."""


@hookspec
def register_exports():
    """Called at start-up. Return a list of `exports.Kind` (core.api): an Excel export a page's button starts
    with `exports.respond(name, params, filename)` — the file at once when small, else written in
    the background with its progress. `sheets(user, params)` builds the workbook; `permission` is checked
    again when the file is written. Names must be unique across plugins."""


@hookspec
def register_imports():
    """Called at start-up. Return a list of `core.importing.pages.ImportKind`: a background file import
    with an upload page and a progress page, which the plugin's two views serve with
    `upload_page(name)` and `status_page(name, import_id)`. Names (the kind's blueprint) must be unique
    across plugins."""


@hookspec
def map_measures():
    """Called at start-up. Return a list of `core.map_layers.Measure(name, label, values, bands, available)`:
    a number per unit grid the grid maps can colour the grids by (`values(user)` → {grid id: number},
    scoped to what the user may see; `bands(values)` the colours and legend; `available(user)` who may
    pick it). Names must be unique across plugins."""


@hookspec
def register_indicators():
    """Called at start-up. Return a list of `core.plugins.Indicator(code, label, value, ...)`: figures a
    campaign adds to the evaluation, `value(start, end)` → the whole city's number for the period.
    The dashboard's "Campaign figures" widget shows this month's so far to users holding the
    indicator's `permission`. Codes must be unique across plugins."""


@hookspec
def attachment_subjects():
    """Called at start-up. Return a list of `core.attachments.AttachmentSubject(kind, label, may_view)`:
    things photos can be attached to with `attach(kind, id, photo)`. /attachments/<id>/<variant> serves
    an attachment to whoever `may_view(user, subject_id)` allows and is a 404 to others, as is a kind no enabled plugin
    registers. Kinds must be unique across plugins: use `"<plugin>.<thing>"`."""


@hookspec
def upgrade_steps():
    """Called by `flask db upgrade` after every migration has run. Return a list of
    `core.plugins.UpgradeStep(name, run, once=False)`: `run()` brings the database in line with the code
    (the core's sync permissions and plugin categories), in a transaction of its own, with the application
    context pushed. It runs on every upgrade: make it idempotent. With `once=True` (a fill of old rows, such
    as open cases' warning times) it is recorded by `name` in `upgrade_step_done` when it succeeds and
    skipped by every later upgrade. A step that raises stops the upgrade, is not recorded, and runs again
    on the next one."""


@hookspec
def grid_sections(grid, user):
    """Called when a unit grid's page renders for `user`. Return a list of `core.plugins.GridSection`
    (a title, a template and its context, an order) about this grid, or an empty list — for a user
    who may not see what the section shows, too."""


@hookspec
def component_sections(component, user):
    """Called when a component's page renders for `user`. Return a list of `core.plugins.GridSection`
    (the grid page's section type: a title, a template and its context, an order) about this component,
    or an empty list — for a user who may not see what the section shows, too."""


@hookspec
def map_layers(user, area):
    """Called when a map of unit grids renders: the city map (`area` None) or one grid's (`area` the
    grid). Return a list of `core.plugins.MapLayer` — GeoJSON URLs of the plugin's own routes, guarded
    and scoped like its pages — or an empty list when the user may not see them."""


@hookspec
def menu_items(user):
    """Called for every full page. Return a list of `core.plugins.MenuItem` the user may see
    (check `user.can(...)`); the core's own items come through this hook too."""


@hookspec
def dashboard_widgets(user):
    """Called when the home dashboard renders. Return a list of `core.plugins.Widget`: a title, a
    template name and the context it needs, and an `order` (lower first)."""


@hookspec
def workorder_panels(workorder, user):
    """Called when a case page renders for `user`. Return a list of `core.plugins.Panel` to show
    below the case's details: a title, a template and its context. A panel may hold the plugin's
    own actions (forms posting to the plugin's blueprint, with `{{ csrf_token() }}`), shown only
    when `user.can(...)` allows them. Return an empty list for cases the plugin has nothing on."""


@hookspec
def demo_data(ctx):
    """Called by `flask demo load` after the core demo city exists. `ctx` is a `core.demo.DemoContext`
    with the departments, areas and users by code. Must be idempotent: running it twice adds
    nothing the second time."""


@hookspec
def startup(app):
    """Called once at the end of create_app, with the fully configured application."""


@hookspec
def workorder_created(workorder):
    """Called after a new case has been committed (core.workorders.workflow.create_order): once the
    caller's outermost transaction commits, never if it rolls back, in a transaction of the
    listener's own. Return nothing; raising rolls back the listener's writes, is logged and does not
    undo the case."""


@hookspec
def workorder_transitioned(workorder, event):
    """Called after every committed change of a case (core.workorders.workflow.transition), with the
    case as it is now and its new `WorkOrderEvent` (action, from_status, to_status, actor, reason,
    data), with the same guarantees as workorder_created. Return nothing; raising rolls back the
    listener's writes, is logged and does not undo the change."""


@hookspec
def notify(user, message, workorder, contact, subject):
    """Called when Xiuhua tells a person something outside the page they are on — every notification
    core.notifications.notify() writes to a person's in-app notifications (the workflow's events routed
    to whoever must act next, the supervision reminders, the plugins' own), unless the person turned that
    kind off; called once it has been committed, like workorder_created. Plugins send it on by SMS or a
    messaging app. `workorder` is the case when the subject is one, else None; `subject` is the pair
    (kind, id) or (None, None). For a party's contact (Recipient.contact) `user` is None and `contact`
    is the phone number or e-mail address; otherwise `contact` is None."""


@hookspec
def notification_subjects():
    """Called at start-up. Return a list of `core.plugins.NotificationSubject` (core.api), one per kind of
    subject this plugin's notifications are about: its `kind` (unique across plugins), `link(id)` to the
    subject's page, its `model` (so notify() takes a row), and the notification `kinds` it sends with
    their labels (listed on /notifications/choices)."""
