"""Configuration: defaults, then instance/config.py, then XIUHUA_* environment variables, then the
mapping handed to create_app (tests)."""

import json
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "ENV": "development",  # "production" refuses weak secrets
    "SECRET_KEY": None,  # None: generated into instance/secret_key on first run
    "DATABASE_URL": None,  # None: sqlite file instance/xiuhua.sqlite3
    "TIMEZONE": "Asia/Shanghai",
    "PLUGINS_DIR": str(ROOT / "plugins"),
    "PLUGINS_DISABLED": [],
    "LANGUAGES": ["zh_CN", "en"],
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,  # a login lasts at most this long, active or not
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_THROTTLE_ATTEMPTS": 30,  # login attempts per client address per LOGIN_THROTTLE_MINUTES; 0: off
    "LOGIN_THROTTLE_MINUTES": 10,
    "THROTTLE_EXEMPT_LOOPBACK": False,  # tests only (the test kit sets it); production refuses it
    "HTTPS": False,  # served over HTTPS (by the reverse proxy): Secure cookie; HSTS in production
    "REVERSE_PROXIES": 0,  # how many proxies in front set X-Forwarded-For/-Proto; 0: headers ignored
    "PASSWORD_MIN_LENGTH": 8,
    "SCHEDULER_ENABLED": True,
    "HEALTH_SCHEDULER_MAX_AGE_S": None,  # /healthz fails when the scheduler's heartbeat is older; None: not checked
    "REQUEST_LOG": True,  # one JSON line per request on the logger xiuhua.requests (core/requestlog.py)
    "MAX_CONTENT_LENGTH": 100 * 1024 * 1024,  # a whole request; single photos have their own limit
    "PHOTO_DIR": None,  # None: instance/photos (outside the web root)
    "PHOTO_MAX_BYTES": 15 * 1024 * 1024,
    "PHOTO_MAX_PIXELS": 60_000_000,
    "PHOTO_DECODE_AT_ONCE": 2,  # photos decoded at the same time in one process (core/photos.py)...
    "PHOTO_DECODE_PIXELS": 64_000_000,  # ...holding at most this many pixels between them
    "DEMO_HISTORY_DAYS": 90,  # `flask demo load`: days of simulated cases before today
    "DEMO_CASES_PER_DAY": 300,
    "DEMO_COMPONENTS": 3000,  # `flask demo load`: components of the census, spread over the demo grids
    "CATALOGUE_EDITION": "2013",  # which edition's categories reports use: "2013" or "2026"
    "ORDER_LIST_COUNT_LIMIT": 10_000,  # case lists count up to this many and then say "more than 10,000"
    # sorting a case list by a column without an index (category, address...) is offered up to this many cases
    "ORDER_LIST_SORT_LIMIT": 10_000,
    "HOTLINE_DUPLICATE_METRES": 100,  # intake warns of open cases of the same category this close
    "HOTLINE_DUPLICATE_DAYS": 7,  # ... or at the same address, reported within this many days
    "WORKFLOW": {},  # overrides of core.workorders.effects.Rules
    "EVALUATION": {},  # overrides of core.evaluation.rules.Rules (how cases are counted)
    # one 工作日 (work_day): "working_hours" = WORK_DAY_HOURS of working time, counted only in the working periods
    # (Monday 10:00 + 0.5 = Monday 16:00); "calendar_days" = a whole 24-hour working day (Monday 10:00 + 0.5 =
    # Monday 22:00; + 1 = the same clock time on the next working day). core/worktime/calendar.py explains both.
    "WORK_DAY_RULE": "working_hours",
    "WORK_DAY_HOURS": 8,
    # a limit counted in the planting season ("种植季节15工作日") waits outside these month-day ranges
    "PLANTING_SEASONS": ["03-01..04-30", "10-01..11-30"],
    "MAP_TILE_URL": "",  # e.g. "https://tiles.example.gov.cn/{z}/{x}/{y}.png"; empty: maps on a plain background
    "MAP_TILE_ATTRIBUTION": "",  # shown in the map's corner when tiles are used
    "MAP_TILE_CRS": "wgs84",  # "gcj02" when the tile server draws Chinese (GCJ-02) coordinates
    "DASHBOARD_REFRESH_SECONDS": 30,  # how often each dashboard widget fetches itself again
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session; the session has its own timeout
}

# Secrets that sample configs and tutorials ship with; production refuses them.
WEAK_SECRETS = {"", "dev", "secret", "change-me", "changeme", "xiuhua"}


def _coerce(default, raw: str):
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(default, dict):
        return json.loads(raw)  # e.g. XIUHUA_WORKFLOW='{"max_extensions": 3}'
    return raw


def load(app, overrides=None):
    """Fill app.config from every source in order of precedence (last wins)."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for key, raw in os.environ.items():
        if key.startswith("XIUHUA_"):
            name = key[len("XIUHUA_") :]
            app.config[name] = _coerce(DEFAULTS.get(name, ""), raw)
    app.config.update(overrides or {})
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'xiuhua.sqlite3'}"
    if not app.config["PHOTO_DIR"]:
        app.config["PHOTO_DIR"] = str(instance / "photos")
    if app.config["SECRET_KEY"] is None:
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
    if app.config["HEALTH_SCHEDULER_MAX_AGE_S"] == "":
        app.config["HEALTH_SCHEDULER_MAX_AGE_S"] = None
    elif app.config["HEALTH_SCHEDULER_MAX_AGE_S"] is not None:  # a string from XIUHUA_... : seconds
        app.config["HEALTH_SCHEDULER_MAX_AGE_S"] = int(app.config["HEALTH_SCHEDULER_MAX_AGE_S"])
    if app.config["ENV"] == "production":
        check_production_secret(app.config["SECRET_KEY"])
        if app.config["THROTTLE_EXEMPT_LOOPBACK"]:
            raise RuntimeError(
                "Refusing to start in production with THROTTLE_EXEMPT_LOOPBACK: it is for tests. Behind a "
                "reverse proxy on the same machine every request comes from loopback and none would be throttled."
            )


def add_defaults(app, defaults: dict):
    """A plugin's configuration defaults, under whatever instance/config.py, the environment or
    create_app's overrides already set (environment strings are converted to the default's type)."""
    for key, default in defaults.items():
        raw = os.environ.get(f"XIUHUA_{key}")
        if key not in app.config:
            app.config[key] = default
        elif raw is not None and app.config[key] == raw:
            app.config[key] = _coerce(default, raw)


def _instance_secret(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def check_production_secret(secret: str):
    if secret in WEAK_SECRETS or len(secret) < 32:
        raise RuntimeError(
            "Refusing to start in production with a default or short SECRET_KEY. "
            "Set XIUHUA_SECRET_KEY to 32+ random characters, or remove SECRET_KEY from "
            "instance/config.py so one is generated into instance/secret_key."
        )
