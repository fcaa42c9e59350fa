"""The closed loop's pages, split by page: the case lists (lists.py), one case (case.py) and the report
form with its photo uploads (report.py); hotline intake (core.workorders.intake) is on the same blueprint.
The page modules add their routes to `bp` when core.workorders registers its blueprints."""

from flask import Blueprint

bp = Blueprint("workorders", __name__, url_prefix="/orders")
