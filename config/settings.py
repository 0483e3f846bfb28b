"""Cairn settings, read from the environment (django-environ).

Defaults give a first run that needs no services: SQLite, eager Celery, console e-mail.
With DEBUG off the defaults are production-safe (secure cookies, HSTS, SSL redirect) and
SECRET_KEY must be set.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
_INSECURE_DEV_KEY = "django-insecure-cairn-development-only"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
PORTAL_NAME = env.str("PORTAL_NAME", default="Cairn")
# The sign-in page lists the demo logins of `seed_demo`; never turn this on in production.
SHOW_DEMO_LOGINS = env.bool("SHOW_DEMO_LOGINS", default=DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "csp",
    "axes",
    "apps.core",
    "apps.accounts",
    "apps.interactions",
    "apps.notifications",
    "apps.learning",
    "apps.assessments",
    "apps.community",
    "apps.roadmap",
    "apps.surveys",
    "apps.engagement",
    "apps.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.accounts.throttles.FormThrottleMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.navigation.navigation",
            ],
        },
    },
]

# Database: embedded SQLite unless DATABASE_URL names another (PostgreSQL in production and CI).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Cairn's queries are short; PostgreSQL's JIT, which kicks in on cost estimates alone, once
    # turned a 13 ms page query into 700 ms of compilation.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    # The covering indexes' INCLUDE columns are a PostgreSQL read optimisation; SQLite builds the
    # same indexes without them, which is all development needs, so its warning is only noise.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24)
INVITATION_VALID_FOR = timedelta(days=env.int("INVITATION_VALID_DAYS", default=7))

# Reverse proxies in front of Cairn that append the client's address to X-Forwarded-For and say
# in X-Forwarded-Proto whether it came over https. Production (DEBUG off) assumes one TLS-terminating
# load balancer: 1. Set 0 when clients reach Cairn directly (and Cairn serves TLS itself): then
# neither header is trusted. Sign-in lockouts and throttles key on the client address this gives,
# so it must match the deployment: too low and every client shares the proxy's address, too high
# and clients pick their own.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0 if DEBUG else 1)

# Sign-in brute force (django-axes): 5 failed attempts for one address from one IP lock that
# pair out for 15 minutes. Keyed on the pair, not on either alone: customers' people sit behind
# shared office NATs (one IP locking out a whole customer after a few typos would hurt), and a
# lockout by address alone would let anyone lock any colleague out by guessing wrong on purpose.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful sign-in forgets earlier failures of that pair, so a few typos a day never add up.
AXES_RESET_ON_SUCCESS = True
# While locked out, further attempts are refused without being counted: the pause ends 15 minutes
# after the last counted failure, and a hammering client cannot grow the attempt's row.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "apps.accounts.throttles.client_ip"
# Sign-in forms post the e-mail address as "username". django-axes would otherwise look for
# "email", record every failure under no address at all, and so never lock anyone out.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "apps.accounts.throttles.login_username"
# Sign-ins are logged by the interaction log already; keep only the failures and lockouts.
AXES_DISABLE_ACCESS_LOG = True
# axes' handler plus caps per client network and per address (see apps.accounts.lockouts).
AXES_HANDLER = "apps.accounts.lockouts.SignInHandler"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockouts.lockout_response"

# Counted limits on abuse-prone actions: scope -> (events, window). A client network is an IPv4
# address or an IPv6 /64. Over a sign-in cap, sign-ins are refused before any password is checked;
# over a reset cap, the "check your inbox" page still shows but no e-mail goes out.
# - signin-network: failed sign-ins from one network, for any addresses (password spraying). High
#   enough for an office behind one NAT: a person's own typos stop counting once they sign in.
# - signin-address: failed sign-ins for one address from anywhere (a botnet, a rotating /64).
# - reset-address / reset-network: password-reset requests for one address / from one network.
ABUSE_LIMITS = {
    "signin-network": (env.int("LOGIN_NETWORK_FAILURE_LIMIT", default=20), timedelta(minutes=15)),
    "signin-address": (env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30), timedelta(hours=1)),
    "reset-address": (env.int("PASSWORD_RESET_ADDRESS_LIMIT", default=3), timedelta(hours=1)),
    "reset-network": (env.int("PASSWORD_RESET_NETWORK_LIMIT", default=20), timedelta(hours=1)),
}

# The contact budget: automated messages per person in any rolling 7 days (transactional e-mails
# are exempt), and how long a held message may wait before it is dropped as stale.
CONTACT_BUDGET_PER_WEEK = env.int("CONTACT_BUDGET_PER_WEEK", default=3)
CONTACT_HOLD_DAYS = env.int("CONTACT_HOLD_DAYS", default=14)
# Closing the loop: days between telling a detractor their idea shipped and asking them again.
LOOP_RESURVEY_DAYS = env.int("LOOP_RESURVEY_DAYS", default=14)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# The cache holds throttle and abuse-limit counters and short-lived guards (view de-duplication,
# recompute presses). Per process by default; with several gunicorn workers set
# CACHE_URL=redis://host:6379/1 so that every worker counts against the same limits.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# E-mail: console unless EMAIL_URL says otherwise (smtp://user:pass@host:587, etc.).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Cairn <no-reply@cairn.example>")

# Celery: a broker makes tasks asynchronous; without one they run eagerly in the request.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
# A task is acknowledged once it has run, and given back to the broker if its worker dies, so
# nothing is lost mid-task (the base task, config.celery.CairnTask, adds retries with backoff).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands a message taken by a worker that vanished (killed, machine lost) to another worker
# once this many seconds have passed since it was taken: longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_DEFAULT_QUEUE = "cairn"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "learning-session-reminders": {"task": "apps.learning.tasks.send_session_reminders", "schedule": 15 * 60},
    "learning-weekly-digest": {"task": "apps.learning.tasks.send_weekly_digests", "schedule": 60 * 60},
    "certification-reminders": {
        "task": "apps.assessments.tasks.send_certification_reminders",
        "schedule": 6 * 3600,
    },
    "certification-expiries": {"task": "apps.assessments.tasks.record_expired_awards", "schedule": 6 * 3600},
    "survey-waves": {"task": "apps.surveys.tasks.send_due_waves", "schedule": 60 * 60},
    "survey-reminders": {"task": "apps.surveys.tasks.send_reminders", "schedule": 60 * 60},
    "contact-release": {"task": "apps.notifications.tasks.release_held_contacts", "schedule": 60 * 60},
    # Hourly, so today's scores follow the day's activity; yesterday's is finalised after midnight.
    "health-recompute": {"task": "apps.analytics.tasks.recompute_health", "schedule": 60 * 60},
    "engagement-evaluate": {"task": "apps.engagement.tasks.evaluate_engagement", "schedule": 15 * 60},
    "engagement-loop": {"task": "apps.engagement.tasks.follow_up_feedback", "schedule": 60 * 60},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only: a form or multipart body is a 415 with a message, too deep nesting a 400.
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    # Every API operation is throttled: per person when signed in, per client address when not;
    # the ingestion endpoint per integration token instead (apps.interactions.authentication).
    # Form posts of signed-in people count against the same "user" budget
    # (apps.accounts.throttles.FormThrottleMiddleware).
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.accounts.throttles.UserThrottle",
        "apps.accounts.throttles.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_USER_THROTTLE_RATE", default="600/min"),
        "anon": env.str("API_ANON_THROTTLE_RATE", default="60/min"),
        "ingestion": env.str("INGESTION_THROTTLE_RATE", default="600/min"),
        "survey": env.str("SURVEY_THROTTLE_RATE", default="60/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cairn API",
    "DESCRIPTION": "Cairn's REST API. Integrations send events to the ingestion endpoint with "
    "`Authorization: Bearer <integration token>`; people use their session.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "apps.accounts.models.AccountStatus",
        "PublicationStatusEnum": "apps.learning.models.Status",
        "RegistrationStatusEnum": "apps.learning.models.RegistrationStatus",
        "ContentKindEnum": "apps.learning.models.ContentKind",
        "SessionKindEnum": "apps.learning.models.SessionKind",
        "StepKindEnum": "apps.learning.models.StepKind",
        "IdeaStatusEnum": "apps.community.models.IdeaStatus",
        "RoadmapItemStatusEnum": "apps.roadmap.models.ItemStatus",
        "TaskOutcomeEnum": "apps.engagement.models.Outcome",
    },
}

# Content Security Policy: same-origin only; no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Videos of the content library are embedded from these hosts only.
        "frame-src": env.list(
            "CSP_FRAME_SRC", default=[SELF, "https://www.youtube-nocookie.com", "https://player.vimeo.com"]
        ),
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Security: production-safe unless DEBUG is on.
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: forms carry the token, and htmx sends it from hx-headers.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Behind the proxy, requests reach Cairn over plain HTTP; its header says whether the client used https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; its lockouts come at WARNING.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
