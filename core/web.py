"""Web plumbing shared by every page: htmx, CSRF, language, security headers, error pages, and the
page-or-fragment rule."""

import unicodedata
from functools import cached_property
from urllib.parse import urlsplit

from babel import Locale
from flask import Blueprint, current_app, g, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import Babel, Domain, get_locale
from flask_babel import gettext as _
from flask_htmx import HTMX
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from peewee import DataError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core import parsing
from core.org import User
from core.parsing import DB_INT_MAX
from core.permissions import public, role_label


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's translations kept for the request. Flask-Babel
    finds them anew for every string (context, locale, its identifier, the cache key): 19 µs a string on
    the benchmark machine against 5 µs kept, and a page translates dozens. They are kept with the
    locale they are for, so force_locale() and refresh() still apply."""

    def get_translations(self):
        ctx = g.get("_flask_babel") if g else None
        locale = getattr(ctx, "babel_locale", None)
        kept = getattr(ctx, "xiuhua_translations", None)
        if kept is not None and locale is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()
        if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
            ctx.xiuhua_translations = (ctx.babel_locale, translations)
        return translations

    def get_translations_cache(self, ctx):
        # One cache per application, not per process: apps with other plugins (tests, a restart in the
        # same process) have other catalogues merged in.
        return current_app.extensions.setdefault("xiuhua.translations", {})


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every URL: a number no database integer holds is a 404 (the row cannot exist)
    rather than an OverflowError from the database driver."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


class XiuhuaBabel(Babel):
    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)


def _translations():
    return babel.domain_instance.get_translations()


def add_translation_directories(app, directories):
    """Plugins' catalogues (each `<plugin>/translations/`), merged into the core's: Flask-Babel merges the
    directories in order, a later one's strings over an earlier one's, so they go before the core's,
    whose strings a plugin's catalogue can therefore not change."""
    config = app.extensions["babel"]
    config.translation_directories[:0] = [str(directory) for directory in directories]
    app.extensions.pop("xiuhua.translations", None)


htmx = HTMX()
csrf = CSRFProtect()
babel = XiuhuaBabel()
bp = Blueprint("web", __name__)

CSP = (
    "default-src 'self'; img-src 'self' data: blob:{tiles}; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def tile_origin(url: str) -> str:
    """The origin ("https://tiles.example.cn:8443") of a map tile URL template, "" for none or a
    relative one; what the CSP lets images come from besides this site."""
    parts = urlsplit((url or "").strip())
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host:
        return ""
    if host.startswith("{s}."):  # Leaflet's subdomain placeholder: a.tiles…, b.tiles…
        host = "*." + host[4:]
    if not all(c.isalnum() or c in ".-:*" for c in host):
        return ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


def content_security_policy() -> str:
    origin = tile_origin(current_app.config.get("MAP_TILE_URL", ""))
    return CSP.format(tiles=f" {origin}" if origin else "")


_LOCALES: dict[str, Locale] = {}


def _locale(code: str) -> Locale:
    """A parsed Locale per code, kept: Flask-Babel parses whatever the selector returns on every request
    (several filesystem look-ups), and accepts a Locale as it is."""
    if code not in _LOCALES:
        _LOCALES[code] = Locale.parse(code)
    return _LOCALES[code]


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = session.get("lang")
    if wanted is None and current_user and current_user.is_authenticated:
        wanted = current_user.language
    return _locale(wanted if wanted in languages else current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app):
    app.url_map.converters["int"] = RowIdConverter  # before any blueprint adds its routes
    hops = app.config["REVERSE_PROXIES"]
    if hops:  # the client's address and scheme as the trusted proxies tell them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    parsing.init_app(app)  # the request class that takes control characters out of every value
    htmx.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(role_label=role_label, get_locale=get_locale)
    app.after_request(security_headers)
    app.register_error_handler(CSRFError, csrf_error)
    # A number in a query string or form that no database column holds (OverflowError from SQLite,
    # DataError from PostgreSQL) names no row: as for an unknown id, 404, not a server error.
    app.register_error_handler(OverflowError, no_such_row)
    app.register_error_handler(DataError, no_such_row)
    for code in (403, 404, 405, 413, 500):
        app.register_error_handler(code, error_page)


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
    if current_app.config["ENV"] == "production" and current_app.config["HTTPS"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    response.vary.add("HX-Request")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def page(template: str, fragment: str | None = None, target: str | None = None, status=200, **context):
    """Render the full page, or only `fragment` when htmx asked for exactly `target`
    (boosted links also send HX-Request, so the header alone is not enough)."""
    if fragment and htmx and htmx.target == target:
        return render_template(fragment, **context), status
    return render_template(template, **context), status


def paginate(query, per_page: int = 50) -> dict:
    """One page of a peewee query, the page number from `?page=` (bad or out of range: the nearest page):
    `rows` (a list), `total`, `page_no` and `pages`, the names templates/_macros.html's `pager` takes.
    Spread it into a page: `page("x/list.html", **paginate(query))`."""
    total = query.count()
    pages = max((total + per_page - 1) // per_page, 1)
    page_no = min(max(request.args.get("page", 1, type=parsing.parse_int), 1), pages)
    return {"rows": list(query.paginate(page_no, per_page)), "total": total, "page_no": page_no, "pages": pages}


def message(text: str, status: int):
    """An error or refusal: a full page, or for htmx a message swapped into #messages (the
    htmx-config meta in base.html lets htmx swap 4xx/5xx responses)."""
    if htmx:
        response = current_app.make_response((render_template("_message.html", message=text, kind="error"), status))
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render_template("error.html", message=text, status=status), status


def csrf_error(error):
    return message(
        _("This form has expired or was not sent from this site. Reload the page and try again; nothing was saved."),
        400,
    )


def no_such_row(error):
    current_app.logger.info("out-of-range value in %s: %s", request.full_path, error)
    return message(_("There is no such page, or you may not see it."), 404)


def error_page(error):
    messages = {
        403: _("You do not have permission to do that."),
        404: _("There is no such page, or you may not see it."),
        405: _("That action cannot be done this way."),
        413: _("The upload is too large."),
        500: _("Something went wrong on the server. The error was logged; nothing was half-saved."),
    }
    code = getattr(error, "code", 500) or 500
    return message(messages.get(code, messages[500]), code)


@bp.route("/lang", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated and current_user.language != lang:
            current_user.language = lang
            User.update(language=lang).where(User.id == current_user.id).execute()
    return redirect(safe_path(request.form.get("next")) or url_for("home.index"))


def safe_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: where to go after logging in or switching
    language. Browsers drop tabs, newlines and other control characters from a URL and read a backslash
    as a slash, so the check is made on what they would read: "/%09/evil.example", decoded, is
    "//evil.example", another site. What comes back has none of them (a newline in a Location header is a
    server error)."""
    cleaned = "".join(c for c in target or "" if not c.isspace() and not unicodedata.category(c).startswith("C"))
    cleaned = cleaned.replace("\\", "/")
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return cleaned
