"""Hotline intake's pages: the call taken (anonymous too: name and phone are optional, and then no one
is called back), the open cases it may be about shown before it is saved (save as a new case, or merge
the caller into one of them), and the call-back on a closed case."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.parsing import parse_id
from core.permissions import requires, scoped
from core.web import page
from core.workorders import hotline, states, submissions, workflow
from core.workorders.views import bp, posted_version
from core.workorders.views.case import case_context, load_order, visible_order
from core.workorders.views.report import already_taken, new_form_context, report_fields
from core.workorders.workflow import WorkflowError


def _intake_form(form, errors=(), candidates=(), status=200):
    return page(
        "workorders/intake.html",
        status=status,
        errors=list(errors),
        candidates=candidates,
        statuses=states.STATUSES,
        **new_form_context(form),
    )


@bp.route("/intake", methods=["GET", "POST"])
@requires("workorder.intake")
def intake():
    form = request.form
    if request.method == "GET":
        return _intake_form(form)
    key = submissions.key_of(form)
    first = submissions.first_case(key, current_user.id, clock.now())
    if first is not None:
        return already_taken(first)
    fields, errors = report_fields(form)
    source = form.get("source") if form.get("source") in ("hotline", "citizen") else "hotline"
    caller = {
        "caller_name": form.get("caller_name", "").strip()[:60],
        "caller_phone": hotline.phone_number(form.get("caller_phone", "")),
    }
    if fields["category"] is None and not form.get("category", "").strip():
        # filing picks one of the category's standard rows: a case without one could only be voided
        errors.append(_("Choose the category of the problem."))
    if not fields["description"]:
        errors.append(_("Write down what the caller reported."))
    if not fields.get("grid") and not form.get("grid", "").strip():
        # without a grid no collector sees the case, and it could never be verified on site
        errors.append(_("Choose the unit grid (or pick the place): its collector verifies the report on site."))
    if errors:
        return _intake_form(form, errors, status=422)
    actor = current_user._get_current_object()
    merge_into = parse_id(form.get("merge_into"))
    if merge_into:
        try:
            order = hotline.merge(
                merge_into, actor=actor, description=fields["description"], submission_key=key, **caller
            )
        except submissions.Repeated:
            return already_taken(submissions.first_case(key, current_user.id, clock.now()))
        except WorkflowError as error:  # the case was closed meanwhile, say: the form comes back as it was
            return _intake_form(form, [error.message], hotline.duplicates(fields), status=error.status)
        return page("workorders/intake_done.html", order=order, merged=True, anonymous=not caller["caller_phone"])
    if form.get("choice") != "new":
        candidates = hotline.duplicates(fields)
        if candidates:
            return _intake_form(form, candidates=candidates)
    try:
        order = workflow.create_order(actor, source, submission_key=key, **caller, **fields)
    except submissions.Repeated:
        return already_taken(submissions.first_case(key, current_user.id, clock.now()))
    return page("workorders/intake_done.html", order=order, merged=False, anonymous=not caller["caller_phone"])


@bp.route("/<int:order_id>/call-back", methods=["POST"])
@requires("workorder.intake")
@scoped("order_id", kind="workorder")
def call_back(order_id):
    """Record the call to the caller of a closed case: satisfied, not satisfied or unreachable."""
    order = visible_order(order_id)
    try:
        hotline.call_back(
            order.id,
            actor=current_user._get_current_object(),
            version=posted_version(),
            outcome=request.form.get("outcome", ""),
            note=request.form.get("note", ""),
        )
    except WorkflowError as error:
        context = case_context(load_order(order.id))
        return page("workorders/show.html", status=error.status, error=error.message, **context)
    flash(_("The call-back is recorded."), "success")
    return redirect(url_for("workorders.show", order_id=order.id))
