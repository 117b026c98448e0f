"""Django settings for OpenKAM, driven by environment variables (see docs/configuration.md)."""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("KAM_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("KAM_VAR_DIR", BASE_DIR / "var")).resolve()


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    key = os.environ.get("KAM_SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("KAM_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("KAM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("KAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "treebeard",
    "simple_history",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "kam.core",
    "kam.people",
    "kam.customers",
    "kam.alerts",
    "kam.sales",
    "kam.interactions",
    "kam.identification",
    "kam.planning",
    "kam.relationships",
    "kam.teams",
    "kam.programme",
    "kam.health",
    "kam.field",
    "kam.dataio",
    "kam.demo",
    "kam.api",
    "kam.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kam.core.runtime.SettleMiddleware",
    "kam.core.middleware.RequestIdMiddleware",
    "kam.core.middleware.BodyLimitMiddleware",
    "kam.core.middleware.DatabaseBusyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kam.people.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kam.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "kam.core.middleware.MetricReadMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"
ASGI_APPLICATION = "kam.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kam.web.context_processors.navigation",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'kam.sqlite3'}"
DATABASE_URL = os.environ.get("KAM_DATABASE_URL", _default_db)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL journal and a busy timeout let the web server and a worker share the file; a write
    # that still finds the file locked after the timeout answers 503 "busy, try again".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": float(os.environ.get("KAM_DB_BUSY_TIMEOUT", "10")),
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # Each thread keeps its connection (decision 125): opening one per request cost the
    # connection's set-up and, above all, its page cache, so every request read its pages again.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost: for the pages'
# analytic queries that took 0.3 s to save milliseconds (decision 129). Off for the app's
# sessions unless KAM_DB_JIT=on; the server's own setting is left as it is.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
    "KAM_DB_JIT", "off"
).lower() not in ("on", "1", "true"):
    pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    pg_options["options"] = f"{pg_options.get('options', '')} -c jit=off".strip()
# Parameters bound by the server, and each statement prepared once a connection has run it
# KAM_DB_PREPARE_AFTER times (decision 134): a page's queries repeat on every view, and
# planning them again took a third of PostgreSQL's time under load. The connections live ten
# minutes, so the prepared statements are used, and each keeps up to KAM_DB_PREPARED_MAX of
# them (``kam.core.dbsessions``). "off" behind a pooler in transaction mode, which cannot keep
# a session's prepared statements (docs/deploy.md).
KAM_DB_PREPARED_MAX = 500
_prepare_after = os.environ.get("KAM_DB_PREPARE_AFTER", "2").strip().lower()
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _prepare_after != "off":
    try:
        _threshold = int(_prepare_after)
        KAM_DB_PREPARED_MAX = int(os.environ.get("KAM_DB_PREPARED_MAX", KAM_DB_PREPARED_MAX))
    except ValueError:
        raise ImproperlyConfigured(
            "KAM_DB_PREPARE_AFTER must be a whole number or off, and KAM_DB_PREPARED_MAX a "
            "whole number."
        ) from None
    if _threshold < 0 or KAM_DB_PREPARED_MAX < 1:
        raise ImproperlyConfigured(
            "KAM_DB_PREPARE_AFTER must be 0 or more and KAM_DB_PREPARED_MAX 1 or more."
        )
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": _threshold}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("KAM_TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before any password is checked (trust).
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "kam.core.backends.PasswordAndModelPermissionsBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("KAM_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# English dates day first (not US month first); Russian keeps Django's d.m.Y
FORMAT_MODULE_PATH = ["kam.core.locale_formats"]
TIME_ZONE = os.environ.get("KAM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KAM_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Imports larger than this are refused before reading (bytes; default 200 MB).
KAM_IMPORT_MAX_BYTES = int(os.environ.get("KAM_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# Uploads are streamed to disk above this size; Django's own request-body limit must fit an import.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Job workers queue a scoring run when the last one is older than this (0: never).
KAM_SCORING_EVERY_HOURS = int(os.environ.get("KAM_SCORING_EVERY_HOURS", "24"))

# A running job whose worker has not beaten for this many seconds is marked failed (re-runnable).
KAM_JOB_TIMEOUT_SECONDS = int(os.environ.get("KAM_JOB_TIMEOUT_SECONDS", "120"))

# The company's reporting currency: transaction amounts are stored in it.
KAM_CURRENCY = os.environ.get("KAM_CURRENCY", "EUR")

# Field reps and specialists see only the accounts they are related to (off: everyone internal
# sees every account). See kam.core.permissions.visible and docs/permissions.md.
KAM_RESTRICTED_VISIBILITY = _env_bool("KAM_RESTRICTED_VISIBILITY")
# Field reps' routes: straight-line travel at this speed (km/h).
KAM_FIELD_SPEED_KMH = float(os.environ.get("KAM_FIELD_SPEED_KMH", "") or 40)
# Generated visit plans give a rep at most this many visits a day (decision 118).
KAM_FIELD_VISITS_PER_DAY = int(os.environ.get("KAM_FIELD_VISITS_PER_DAY", "") or 8)
# Four-eyes on key-account nominations: the nominator may not approve their own (decision 31).
# On lets a tiny team's only executive approve what they nominated.
KAM_ALLOW_SELF_APPROVAL = _env_bool("KAM_ALLOW_SELF_APPROVAL")
# @mentions in an account's feed also go by e-mail (Django's EMAIL_* settings) when on.
KAM_EMAIL_NOTIFICATIONS = _env_bool("KAM_EMAIL_NOTIFICATIONS")
# How e-mail leaves (alert digests, mentions): the console by default (the demo prints them);
# set KAM_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and KAM_EMAIL_HOST/PORT/
# USER/PASSWORD for a mail server. KAM_EMAIL_FROM is the sender.
EMAIL_BACKEND = os.environ.get(
    "KAM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("KAM_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KAM_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KAM_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KAM_EMAIL_PASSWORD", "")
DEFAULT_FROM_EMAIL = os.environ.get("KAM_EMAIL_FROM", "openkam@localhost")
# The dates every entry (forms, API, imports) accepts, inclusive; ISO dates (YYYY-MM-DD).
KAM_DATE_MIN = os.environ.get("KAM_DATE_MIN", "1900-01-01")
KAM_DATE_MAX = os.environ.get("KAM_DATE_MAX", "2100-12-31")

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Authentication and the browser (trust)
# Login lockout (django-axes, counted in the database so every process shares it): after
# KAM_LOGIN_FAILURE_LIMIT failed logins of one username from one address, that pair is refused
# for KAM_LOCKOUT_MINUTES; `kam axes_reset` (or deleting the access attempt in the admin) unlocks.
KAM_LOGIN_FAILURE_LIMIT = int(os.environ.get("KAM_LOGIN_FAILURE_LIMIT", "5"))
KAM_LOCKOUT_MINUTES = int(os.environ.get("KAM_LOCKOUT_MINUTES", "15"))
AXES_FAILURE_LIMIT = KAM_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=KAM_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kam.web.views.locked_out"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind KAM_TRUSTED_PROXIES proxies the caller's address comes from X-Forwarded-For.
KAM_TRUSTED_PROXIES = int(os.environ.get("KAM_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "kam.core.http.client_address"
# API tokens: bad bearer tokens from one address are refused (429) after the same number of
# failures for the same time; a valid token may make KAM_API_RATE requests a minute.
KAM_API_RATE = int(os.environ.get("KAM_API_RATE", "600"))
# Sessions end after KAM_SESSION_HOURS (and, if asked, when the browser closes).
SESSION_COOKIE_AGE = int(float(os.environ.get("KAM_SESSION_HOURS", "12")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = _env_bool("KAM_SESSION_EXPIRE_AT_BROWSER_CLOSE")
# Content-Security-Policy: no inline script or style anywhere; data goes in JSON script elements.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Behind HTTPS (KAM_HTTPS=1): secure cookies, redirect plain HTTP, HSTS.
if _env_bool("KAM_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("KAM_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("KAM_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("KAM_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("KAM_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a commitment for the whole domain: the admin opts in (docs/deploy.md).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Files and folders the app creates (database, uploads, reports) are its owner's only;
# KAM_UMASK (octal) widens that for a shared group if an admin must.
os.umask(int(os.environ.get("KAM_UMASK", "077"), 8))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
for _owned in (VAR_DIR, VAR_DIR / "media"):
    if _owned.is_dir() and _owned.stat().st_mode & 0o077:
        with contextlib.suppress(PermissionError):
            _owned.chmod(0o700)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kam.core.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}
