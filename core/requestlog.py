"""The request log: one JSON line per request on the logger `xiuhua.requests`, written once the response
is made (after_request, so error pages too):

    {"time": "2026-12-04T21:14:45.123Z", "method": "GET", "path": "/workorders/12", "status": 200,
     "duration_ms": 12.4, "user": 3, "remote": "10.0.0.7"}

`time` in UTC; `path` without its query string (search terms stay out of the log); `user` the logged-in
user's id or null; `remote` the client's address (the one REVERSE_PROXIES trusts). Static files (the
app's and every plugin's) are not logged. REQUEST_LOG = False turns it off. When nothing has configured
logging (no handler on the root logger), the lines go to standard error."""

import json
import logging
import sys
import time
from datetime import UTC, datetime

from flask import g, request

from core.permissions import is_static

log = logging.getLogger("xiuhua.requests")


def _ensure_output():
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)


def init_app(app):
    """Register as early as possible: the start is taken first, and the line written last."""
    if not app.config["REQUEST_LOG"]:
        return
    _ensure_output()

    @app.before_request
    def _started():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response):
        if request.endpoint and is_static(request.endpoint):
            return response
        started = g.get("request_started")
        user = g.get("_login_user")  # flask-login's user of this request, if it was loaded: no query here
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": None if started is None else round((time.perf_counter() - started) * 1000, 1),
            "user": user.id if user is not None and getattr(user, "is_authenticated", False) else None,
            "remote": request.remote_addr,
        }
        log.info(json.dumps(line, ensure_ascii=False))
        return response
