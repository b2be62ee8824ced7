"""Newsarchive settings: one file, configured from the environment.

Local use needs no configuration at all (DEBUG on, embedded PostgreSQL). With
DEBUG off the site refuses to start until SECRET_KEY and ALLOWED_HOSTS are real.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from newsarchive import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_INSECURE_KEY = "django-insecure-local-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_KEY if DEBUG else "")
_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_LOCAL_HOSTS if DEBUG else [])

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DEBUG is off, so SECRET_KEY must be set to a random string of 50 or more characters "
            '(for example: python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DEBUG is off, so ALLOWED_HOSTS must list the host names the site answers to "
            "(comma-separated, e.g. ALLOWED_HOSTS=archive.example.org)."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_filters",
    "django_ratelimit",
    "axes",
    "simple_history",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "newsarchive.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsarchive.middleware.RejectNulMiddleware",
    "newsarchive.middleware.IndexAfterWriteMiddleware",
    "newsarchive.middleware.SearchUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The interface's language: the set_language cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "newsarchive.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsarchive.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "newsarchive.wsgi.application"

# Database: DATABASE_URL (postgres://user:password@host:port/name), or the embedded
# PostgreSQL in var/pgdata/ started on first use when it is unset. In production a forgotten
# DATABASE_URL would serve an empty archive from the embedded server: it must be asked for.
_USE_EMBEDDED = env.bool("USE_EMBEDDED_DATABASE", default=False)
if not DEBUG and not env.str("DATABASE_URL", default="") and not _USE_EMBEDDED:
    raise ImproperlyConfigured(
        "DEBUG is off, so DATABASE_URL must point at the production PostgreSQL "
        "(or set USE_EMBEDDED_DATABASE=true to serve from the embedded one in var/pgdata/)."
    )
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
else:
    DATABASES = {
        "default": {
            "ENGINE": "newsarchive.embedded_postgres",
            "NAME": embedded_db.database_name(),
            "USER": "postgres",
        }
    }
# Seconds to wait for the database to accept a connection (libpq's minimum is 2): a server
# that accepts and never answers held every request for 30 s, until gunicorn killed it.
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
)
# Seconds one statement of a web request may run (newsarchive/startup.py; 0 for none).
# Commands (ingest, export, migrate) are not limited.
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=15)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_newsarchive")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The search index (articles/search/): a folder every process of this machine shares, and
# the name under which it follows the database's change log (one per machine when several
# machines keep their own index; `manage.py index --forget NAME` drops a retired one).
SEARCH_INDEX_DIR = Path(env.str("SEARCH_INDEX_DIR", default=str(BASE_DIR / "var" / "index")))
SEARCH_INDEX_NAME = env.str("SEARCH_INDEX_NAME", default="default")

# django-axes counts failed log-ins (in its tables) before Django checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After LOGIN_FAILURE_LIMIT failed log-ins from one address, or for one user name from
# anywhere, log-in is refused for LOGIN_LOCKOUT_MINUTES (the right password too), with a page
# saying so. `manage.py axes_reset_username NAME` or `axes_reset_ip ADDRESS` unlocks.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "locked_out.html"
AXES_CLIENT_IP_CALLABLE = "articles.throttle.client_ip"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The public pages speak English, Arabic (right to left) and French (locale/); each
# article's own text keeps its own language whatever the interface's.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "Arabic"), ("fr", "French")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve unhashed names when collectstatic has not run (tests, a quick production try).
WHITENOISE_MANIFEST_STRICT = False

# The admin lives under this prefix (no leading slash): ADMIN_URL=curate/
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"

LOGIN_URL = "admin:login"

# Production hardening; each can be relaxed from the environment (for example
# SECURE_SSL_REDIRECT=false behind a proxy that already redirects).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading is a commitment the operator must choose (SECURE_HSTS_PRELOAD=true), not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Caches: the default one is per process (the site-wide counts, articles/counts.py); the
# shared one is a table of the database (migration 0012), seen by every web process.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "newsarchive.cache.DatabaseCache", "LOCATION": "newsarchive_cache"},
}


def _rate(name: str, default: str) -> str:
    """A rate limit such as 60/m (requests per s, m, h or d) from the environment."""
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", value):
        raise ImproperlyConfigured(f"{name} must look like 60/m (a number / s, m, h or d).")
    return value


# Per-client rate limits (articles/throttle.py), counted in the shared cache: numbers a
# reader clicking through pages never reaches, that stop a script hammering the site.
RATELIMIT_ENABLE = env.bool("RATELIMITS", default=True)
RATELIMIT_USE_CACHE = "shared"
RATELIMIT_SEARCH = _rate("RATELIMIT_SEARCH", "120/m")
RATELIMIT_API = _rate("RATELIMIT_API", "60/m")
RATELIMIT_EXPORT = _rate("RATELIMIT_EXPORT", "10/h")
# Behind a proxy every request comes from the proxy: name the header holding the client's
# address (e.g. X-Real-IP) that the proxy sets, overwriting any the client sent.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
RATELIMIT_IP_META_KEY = "articles.throttle.client_ip"
# The CSV export: at most this many at once across every web process, and at most this
# many rows for an anonymous reader (for staff users, the larger number).
EXPORT_SLOTS = env.int("EXPORT_SLOTS", default=2)
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=10_000)
EXPORT_MAX_ROWS_STAFF = env.int("EXPORT_MAX_ROWS_STAFF", default=100_000)
# django_ratelimit warns about every cache but memcached and Redis, and refuses Django's
# database cache for its non-atomic increment; newsarchive.cache's increment is atomic.
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001"]

LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The handler's own level too: Django's loggers propagate their INFO lines here, and
    # Django already prints those itself when DEBUG is on (they were shown twice).
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"pgserver": {"level": "WARNING"}},
}

# Seconds after its last heartbeat (the importer beats every few seconds while it works)
# that a running import is taken for dead and shown as interrupted: its process was killed.
IMPORT_STALE_AFTER = env.int("IMPORT_STALE_AFTER", default=120)
if IMPORT_STALE_AFTER < 10:
    raise ImproperlyConfigured("IMPORT_STALE_AFTER must be 10 seconds or more.")
