"""Kopilka settings: one file, driven by environment variables (see .env.example).

PostgreSQL is the only database. With no DATABASE_URL set, the platform uses the embedded demo
server that `make demo` starts (a Unix socket in var/pg, database `kopilka`) and a Celery broker
on the filesystem. Production sets DATABASE_URL and CELERY_BROKER_URL (Redis); so does `make demo`,
to the PostgreSQL and Valkey it runs from wheels (scripts/embedded.py).
"""

from pathlib import Path

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The key signs sessions, the desk's member references and the login codes' hashes. The default
# is public (it is in this file), so anyone could forge them: outside DEBUG the server refuses
# to start on it, on an empty key and on a guessable one (check --deploy asks for 50+ chars).
DEV_SECRET_KEY = "insecure-dev-only-change-me-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
SECRET_KEY_MIN_LENGTH = 16
if not DEBUG and (
    SECRET_KEY in ("", DEV_SECRET_KEY)
    or SECRET_KEY.startswith("django-insecure-")
    or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random string when DEBUG is false (it is empty, "
        f"shorter than {SECRET_KEY_MIN_LENGTH} characters or the public default). Generate "
        "one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of the site: links in messages (cabinet, unsubscribe) start with it.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    # django.contrib.admin with its site declining model names (core/admin_site.py)
    "core.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    "pgtrigger",
    "pghistory",  # the audit history of settings (loyalty/models/history.py, campaigns/…)
    "customers",
    "loyalty",
    "campaigns",
    "cabinet",
    "desk",
    "api",
    "config",  # the wiring: seed_demo, which imports every app (config/apps.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.no_store",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",  # 503 + Retry-After while the DB is away
]
# Requests under API_PATH_PREFIX (the partner API, key-authenticated, no browser session) run
# through this shorter chain instead: see config/wsgi.py.
API_PATH_PREFIX = "/api/"
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.api_content_security_policy",
    "config.security.no_store",
    "config.middleware.api_locale",
    "config.middleware.content_length",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# --- Database -----------------------------------------------------------------------------------
# PostgreSQL only: the default is the embedded demo server's socket (scripts/embedded.py).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"postgres://postgres@/kopilka?host={VAR_DIR / 'pg'}")
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A health check costs a round trip per request; off by default for the hot paths.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
# Statements run through config.db.hot_cursor() are prepared after this many uses on a
# connection (empty: never, e.g. behind an old transaction-pooling PgBouncer). Django's own
# cursors bind on the client and are never prepared either way.
_prepare = env.str("DB_PREPARE_THRESHOLD", default="2")
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["prepare_threshold"] = int(_prepare) if _prepare else None
if _prepare:
    # Prepared statements get a generic plan from the start. Every hot statement finds its
    # rows by key, so the plan does not depend on the values; left to choose, PostgreSQL
    # kept re-planning one with timestamp bounds on every call (~150 µs each).
    _options["options"] = " ".join(
        filter(None, [_options.get("options"), "-c plan_cache_mode=force_generic_plan"])
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "customers.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "cabinet:login"

# --- Cache --------------------------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://kopilka")}

# --- Rate limits (customers/ratelimit.py) -------------------------------------------------------
# Where the counts of every rate limit and lockout live, shared by all processes: "database"
# (default; atomic counter rows) or "cache" (the cache above, which must then be shared: Redis).
RATELIMIT_STORE = env.str("RATELIMIT_STORE", default="database")
if RATELIMIT_STORE not in ("database", "cache"):
    raise ImproperlyConfigured('RATELIMIT_STORE must be "database" or "cache".')
if RATELIMIT_STORE == "cache" and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    raise ImproperlyConfigured(
        "RATELIMIT_STORE=cache needs a cache all processes share (CACHE_URL=redis://…); "
        "the in-process cache would let each process count alone."
    )
# Reverse proxies in front of the server that append to X-Forwarded-For (nginx, a load
# balancer): the client's IP is the Nth address from the right. 0 = REMOTE_ADDR, the header is
# ignored (then anyone could forge it).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Our changes to a language's date formats (config/formats/ru: "7 декабря", not "7 Декабрь").
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
# Uploaded history files (loyalty history imports), read by the Celery worker on this machine.
HISTORY_IMPORT_DIR = Path(env.str("HISTORY_IMPORT_DIR", default=str(VAR_DIR / "imports")))

# --- Messages out: e-mail and SMS ---------------------------------------------------------------
OUTBOX_DIR = Path(env.str("OUTBOX_DIR", default=str(VAR_DIR / "outbox")))
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = OUTBOX_DIR
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kopilka <noreply@kopilka.local>")
SMS_BACKEND = env.str("SMS_BACKEND", default="customers.sms.FileSMSBackend")
# customers.sms.HttpSMSBackend: SMSC.ru's HTTP API (login + password, or an API key).
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="https://smsc.ru/sys/send.php")
SMS_GATEWAY_LOGIN = env.str("SMS_GATEWAY_LOGIN", default="")
SMS_GATEWAY_PASSWORD = env.str("SMS_GATEWAY_PASSWORD", default="")
SMS_GATEWAY_API_KEY = env.str("SMS_GATEWAY_API_KEY", default="")
SMS_GATEWAY_SENDER = env.str("SMS_GATEWAY_SENDER", default="")
SMS_GATEWAY_CONNECT_TIMEOUT = env.float("SMS_GATEWAY_CONNECT_TIMEOUT", default=3.05)
SMS_GATEWAY_READ_TIMEOUT = env.float("SMS_GATEWAY_READ_TIMEOUT", default=10.0)
SMS_GATEWAY_RETRIES = env.int("SMS_GATEWAY_RETRIES", default=2)
SMS_GATEWAY_BACKOFF = env.float("SMS_GATEWAY_BACKOFF", default=0.5)
# Web push: campaigns.push.FilePushBackend writes push-*.json into OUTBOX_DIR;
# campaigns.push.WebPushBackend sends through the browsers' push services with the VAPID keys
# (`manage.py vapid_keys` makes a pair). Without a public key the cabinet offers no push.
PUSH_BACKEND = env.str("PUSH_BACKEND", default="campaigns.push.FilePushBackend")
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:noreply@kopilka.local")
PUSH_TIMEOUT = env.float("PUSH_TIMEOUT", default=10.0)
PUSH_TTL = env.int("PUSH_TTL", default=86400)
# Webhooks to partners (docs/API.md, "Webhooks"): an endpoint's URL may not resolve to a
# private, loopback or link-local address unless DEBUG or this is on (tests, the demo).
WEBHOOKS_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOKS_ALLOW_PRIVATE_HOSTS", default=False)
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=5.0)
# Rows are read again this long after they were first seen (a transaction that commits later
# than a newer row's is still found); events about rows older than the max age are not sent.
WEBHOOKS_LOOKBACK_SECONDS = env.int("WEBHOOKS_LOOKBACK_SECONDS", default=300)
WEBHOOKS_MAX_EVENT_AGE_HOURS = env.int("WEBHOOKS_MAX_EVENT_AGE_HOURS", default=72)

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):  # redis://, rediss://, redis+socket://
    # A task is acknowledged when it ends (acks late, below). One taken by a worker that died
    # (kill -9, OOM, power) goes back to the queue once it has been unacknowledged this long:
    # minutes, not kombu's hour, yet well above the longest beat job (burning a million lots
    # takes ~1 min, docs/PERFORMANCE.md), so a job still running is not handed out twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A pool process killed mid-task leaves its task unacknowledged too (re-queued), not lost: every
# task is safe to run twice.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.PartnerAPIKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.IsPartner"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.PartnerKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "partner_key": env.str("API_THROTTLE_RATE", default="6000/min"),
        # Wrong or unknown API keys per client IP; over it, 429 before the key is checked.
        "failed_key": env.str("API_FAILED_KEY_RATE", default="20/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    # Lazy: the schema and the docs page are in the request's language (api/schema.py).
    "TITLE": _("Kopilka Partner API"),
    "DESCRIPTION": _(
        "Members, balances, quotes, purchases and refunds for partners (POS, e-shops)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": True},
    "ENUM_NAME_OVERRIDES": {"MemberStatusEnum": "customers.models.Member.Status"},
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"
# How long a process may remember a verified API key at most; a change to a key or a partner
# makes every process forget at once (api/verified_keys.py). 0 = query on every request
# (needed behind a transaction-pooling PgBouncer, where LISTEN does not work).
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=300)

# --- Security -----------------------------------------------------------------------------------
# Off by default so that the demo and the tests run over plain HTTP; production turns them on
# (README, "Configuration"): `manage.py check --deploy` is then clean.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env.str("SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): only the site's own files; an inline <script> or
# <style> runs only with the request's nonce (`{{ request.csp_nonce }}` in templates); images
# also from data: URIs. Inline style attributes are refused: SVG uses presentation attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

# Personal data (152-FZ, docs/PRIVACY.md): members closed, or who withdrew their consent to
# personal data processing, this many days ago are erased by a nightly job.
ERASE_CLOSED_MEMBERS_AFTER_DAYS = env.int("ERASE_CLOSED_MEMBERS_AFTER_DAYS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
