# Xiuhua instance configuration: an example.
#
# Copy this file to instance/config.py (or into the folder named by XIUHUA_INSTANCE_PATH) and uncomment
# what you need. Only UPPER-CASE names are read. The order of precedence is: the defaults in
# core/config.py, then this file, then environment variables XIUHUA_<NAME> (for example
# XIUHUA_DATABASE_URL), which override it. The values shown are the defaults, except where a comment
# says otherwise.

# --- Running ---------------------------------------------------------------------------------------------

# "production" refuses to start with a weak SECRET_KEY (shorter than 32 characters, or a well-known one).
# ENV = "development"
# ENV = "production"  # recommended for any real installation

# Leave SECRET_KEY unset (None): 64 random hex characters are generated into instance/secret_key on
# first start and reused. If you set it, use 32 or more random characters, e.g. from
# `python3 -c "import secrets; print(secrets.token_hex(32))"`.
# SECRET_KEY = None

# --- Database --------------------------------------------------------------------------------------------

# None: the SQLite file instance/xiuhua.sqlite3 (WAL mode, foreign keys on).
# DATABASE_URL = None
# DATABASE_URL = "sqlite:////var/lib/xiuhua/xiuhua.sqlite3"  # SQLite elsewhere (absolute path: 4 slashes)
# DATABASE_URL = "postgresql:///xiuhua"  # PostgreSQL on this machine, peer authentication
# DATABASE_URL = "postgresql://xiuhua:PASSWORD@db.example:5432/xiuhua"  # the password is not URL-decoded

# The zone of every stored time, of "now" and of job schedules. Choose it before there is data.
# TIMEZONE = "Asia/Shanghai"

# --- Plugins ---------------------------------------------------------------------------------------------

# The folder scanned for folder plugins (default: the repository's plugins/ folder).
# PLUGINS_DIR = "/srv/xiuhua/plugins"

# Plugins not to load, by name (folder name or entry point name).
# PLUGINS_DISABLED = []

# --- Languages -------------------------------------------------------------------------------------------

# LANGUAGES = ["zh_CN", "en"]
# BABEL_DEFAULT_LOCALE = "zh_CN"

# --- Logins and sessions ---------------------------------------------------------------------------------

# A session idle this long is logged out; no login lasts longer than SESSION_MAX_HOURS, however active.
# SESSION_IDLE_MINUTES = 30
# SESSION_MAX_HOURS = 12

# Wrong passwords in a row before an account is locked, and for how long. An administrator can unlock it
# sooner on /admin/users, or on the server with `flask --app app users unlock USERNAME`.
# LOGIN_MAX_FAILURES = 5
# LOGIN_LOCK_MINUTES = 15

# Login attempts one client address may make per window, whatever the usernames (0: no throttling).
# LOGIN_THROTTLE_ATTEMPTS = 30
# LOGIN_THROTTLE_MINUTES = 10

# Served over HTTPS by the reverse proxy: the session cookie gets Secure, and in production every response
# carries Strict-Transport-Security. REVERSE_PROXIES: how many proxies in front set X-Forwarded-For and
# X-Forwarded-Proto (the client address for throttling and the audit log); 0 ignores those headers.
# HTTPS = False
# REVERSE_PROXIES = 0

# Minimum password length: for password changes, passwords set on /admin/users, and `flask users create`.
# PASSWORD_MIN_LENGTH = 8

# SESSION_COOKIE_HTTPONLY = True
# SESSION_COOKIE_SAMESITE = "Lax"
# SESSION_COOKIE_SECURE = False  # HTTPS = True sets it

# CSRF tokens live as long as the session (which has its own idle timeout). A number of seconds limits them.
# WTF_CSRF_TIME_LIMIT = None

# --- Other -----------------------------------------------------------------------------------------------

# Whether `flask serve` starts the scheduler beside the web server. Set False when a separate
# `flask scheduler run` process runs the jobs (the same as `flask serve --no-scheduler`).
# SCHEDULER_ENABLED = True

# /healthz fails (503) when the scheduler's heartbeat is older than this many seconds. None: not checked.
# HEALTH_SCHEDULER_MAX_AGE_S = None

# One JSON line per request on the logger xiuhua.requests (standard error unless logging is configured).
# REQUEST_LOG = True

# Largest request body in bytes (32 MiB).
# MAX_CONTENT_LENGTH = 32 * 1024 * 1024
