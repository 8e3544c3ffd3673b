"""Lawtrace settings. Every value comes from the environment through ``lawtrace.env``; see README."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from lawtrace.env import env_bool, env_choice, env_int, env_list, env_networks, env_path, env_str
from lawtrace.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("LAWTRACE_DATA_DIR", BASE_DIR / "var")

DEBUG = env_bool("LAWTRACE_DEBUG", False)


def _secret_key() -> str:
    configured = env_str("LAWTRACE_SECRET_KEY", "")
    if configured:
        if len(configured) < 32:
            raise ImproperlyConfigured("LAWTRACE_SECRET_KEY must be at least 32 characters")
        return configured
    # A single-machine install keeps a generated key beside its data, readable only by the service account.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key, encoding="utf-8")
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("LAWTRACE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("LAWTRACE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before django_tasks_db: its ``db_worker`` command is replaced by ours, which keeps task leases.
    "lawtrace",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ledger",
    "policy",
    "org",
    "cases",
    "devices",
    "evidence",
    "compliance",
    "access",
    "retention",
    "supervision",
    "printing",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "integration",
]

MIDDLEWARE = [
    "lawtrace.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "lawtrace.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lawtrace.middleware.RequestIdMiddleware",
    "policy.middleware.RememberSchedulesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lawtrace.middleware.LoginRequiredEverywhereMiddleware",
    "org.gate.AccountGateMiddleware",
    "lawtrace.refusals.DeniedOnRecordMiddleware",
    "axes.middleware.AxesMiddleware",
    "ledger.middleware.LedgerBlockedMiddleware",
    "lawtrace.badinput.BadInputMiddleware",
]

ROOT_URLCONF = "lawtrace.urls"
WSGI_APPLICATION = "lawtrace.wsgi.application"

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
                "lawtrace.context.navigation",
            ],
            # Citations read as law on every page and printout (policy/citations.py).
            "builtins": ["policy.templatetags.policy_tags"],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'lawtrace.sqlite3'}")
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("LAWTRACE_DB_CONN_MAX_AGE", 0, minimum=0))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server and the task worker read while the other writes.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                            "PRAGMA cache_size=-65536;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # Tests use a file too: an in-memory shared-cache database answers concurrent requests of the live
        # server with "table is locked" instead of waiting, which production's file database never does.
        config["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    elif config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to SQLite or PostgreSQL")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "org.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("LAWTRACE_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "org.passwords.MixedCharacterClassesValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: a signed-in request pushes expiry forward (org.gate), so the session ends after this many idle
# seconds. It is pushed at most once a minute: a video's every Range request writing its session row was a write per
# request for nothing (the idle timeout is then kept to within a minute).
SESSION_COOKIE_AGE = env_int("LAWTRACE_SESSION_IDLE_SECONDS", 30 * 60, minimum=60, maximum=24 * 3600)
SESSION_RENEW_SECONDS = 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Absolute lifetime: a session ends this long after its login, however busy (org.gate).
SESSION_MAX_AGE_SECONDS = env_int("LAWTRACE_SESSION_MAX_HOURS", 12, minimum=1, maximum=7 * 24) * 3600
# Roles that must log in with a second factor (TOTP, org.mfa); checked against the known roles at start-up.
MFA_REQUIRED_ROLES = env_list("LAWTRACE_MFA_ROLES",
                              ["system_admin", "security_admin", "audit_admin", "head", "archivist"])
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env_str("LAWTRACE_TOTP_ISSUER", "Lawtrace")

# Served over HTTPS (behind the TLS proxy of deploy/nginx): Secure cookies, HSTS, redirect of plain http. The demo
# runs over plain http on loopback and leaves this off.
HTTPS = env_bool("LAWTRACE_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("LAWTRACE_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
# The proxy and monitoring probe nodes over plain http on the inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("LAWTRACE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LAWTRACE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("LAWTRACE_HSTS_PRELOAD", True)
# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks, comma-separated).
# lawtrace.middleware.TrustedProxyMiddleware drops those headers from everybody else, so the proto header below
# cannot be forged by a client talking to a node directly.
TRUSTED_PROXIES = env_networks("LAWTRACE_TRUSTED_PROXIES", [])
CLIENT_ADDRESS_HEADER = env_str("LAWTRACE_CLIENT_ADDRESS_HEADER", "X-Forwarded-For")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False

# Lockout is stored in the database, so it survives a restart of the server.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("LAWTRACE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LAWTRACE_LOGIN_LOCKOUT_MINUTES", 30, minimum=1))
# Lock the account from the address the failures came from, never the account everywhere: otherwise anyone could
# lock the auditor out by typing five wrong passwords under her name from any desk. Nor the address alone: an
# intranet office often shares one NAT address, and one mistyping colleague must not lock everybody out.
# The address is the client's own even behind the proxy (TrustedProxyMiddleware rewrites REMOTE_ADDR).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
# The records, forms and registers are Chinese by law; the interface does not follow the browser's language,
# so every officer, archivist and court sees the same wording. Code and msgids stay English.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("LAWTRACE_STATIC_ROOT", DATA_DIR / "static")
# Every web node serves the static files itself (WhiteNoise, from `manage.py collectstatic`), compressed and with
# caching headers, so a node needs neither the development server nor a proxy that holds the files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

TASKS = {
    "default": {
        "BACKEND": env_str("LAWTRACE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A worker renews the lease of the task it runs every third of this; a task whose lease lapses (its worker died)
# is run again by another worker (lawtrace.leases).
TASK_LEASE_SECONDS = env_int("LAWTRACE_TASK_LEASE_SECONDS", 120, minimum=2, maximum=3600)

# Extra directories of policy packs (comma-separated) for agencies beyond the shipped four.
POLICY_PACK_DIRS = [BASE_DIR / "policy" / "packs"] + [Path(p) for p in env_list("LAWTRACE_POLICY_PACK_DIRS", [])]

PAGE_SIZE = env_int("LAWTRACE_PAGE_SIZE", 25, minimum=5, maximum=500)

LOGGING = logging_config(env_choice("LAWTRACE_LOG_FORMAT", "text", ("text", "json")),
                         env_choice("LAWTRACE_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")))

SITE_TITLE = _("Enforcement Full-Process Record System")

# The tamper-evident ledger: the name witnesses see in checkpoints, the signing key, how often to sign.
LEDGER_ORIGIN = env_str("LAWTRACE_LEDGER_ORIGIN", "lawtrace")
LEDGER_KEY_DIR = env_path("LAWTRACE_LEDGER_KEY_DIR", DATA_DIR / "ledger-keys")
# Ed25519 by default; sm2 (GB/T 32918, via the platform's OpenSSL) where 国密 signatures are required.
LEDGER_SIGNATURE = env_choice("LAWTRACE_LEDGER_SIGNATURE", "ed25519", ("ed25519", "sm2"))
LEDGER_CHECKPOINT_MINUTES = env_int("LAWTRACE_LEDGER_CHECKPOINT_MINUTES", 5, minimum=1, maximum=24 * 60)
# Fingerprints of the first signing key, as printed by 'ledger keygen' at install (comma-separated); when set,
# verification trusts no chain of keys that starts elsewhere.
LEDGER_PINNED_KEYS = env_list("LAWTRACE_LEDGER_PINNED_KEYS", [])
# Every checkpoint is also published to the write-once store and kept there this long (COMPLIANCE lock in S3).
LEDGER_PUBLISH_RETENTION_DAYS = env_int("LAWTRACE_LEDGER_PUBLISH_RETENTION_DAYS", 3650, minimum=1)
# A checkpoint or key still not published after this long is reported by verification.
LEDGER_PUBLISH_GRACE_MINUTES = env_int("LAWTRACE_LEDGER_PUBLISH_GRACE_MINUTES", 60, minimum=1)
# Events are stamped in log order; one dated earlier than the one before it by more than this is reported.
LEDGER_TIME_TOLERANCE_SECONDS = env_int("LAWTRACE_LEDGER_TIME_TOLERANCE_SECONDS", 30, minimum=0)
# The outside witness: the day's witness text is pushed to an HTTPS endpoint and/or mailed to the supervising office.
LEDGER_WITNESS_URL = env_str("LAWTRACE_WITNESS_URL", "")
if LEDGER_WITNESS_URL and not (LEDGER_WITNESS_URL.startswith("https://") or re.match(
        r"^http://(127\.0\.0\.1|localhost|\[::1\])[:/]", LEDGER_WITNESS_URL)):
    raise ImproperlyConfigured("LAWTRACE_WITNESS_URL must be an https:// address (plain http only on loopback)")
LEDGER_WITNESS_CA_FILE = env_str("LAWTRACE_WITNESS_CA_FILE", "")  # a private CA for the witness's certificate
LEDGER_WITNESS_MAIL = env_list("LAWTRACE_WITNESS_MAIL", [])
LEDGER_WITNESS_HOURS = env_int("LAWTRACE_WITNESS_HOURS", 24, minimum=1, maximum=24 * 31)
# A verification run whose worker has shown no progress for this long is settled as failed.
LEDGER_VERIFY_STALE_MINUTES = env_int("LAWTRACE_LEDGER_VERIFY_STALE_MINUTES", 30, minimum=1)

# Evidence: where originals go (a local write-once directory, or S3 with Object Lock), and how uploads arrive.
EVIDENCE_STORE = env_choice("LAWTRACE_STORE", "local", ("local", "s3"))
EVIDENCE_STORE_DIR = env_path("LAWTRACE_STORE_DIR", DATA_DIR / "objects")
EVIDENCE_S3 = {
    "endpoint": env_str("LAWTRACE_S3_ENDPOINT", ""),
    "bucket": env_str("LAWTRACE_S3_BUCKET", ""),
    "access_key": env_str("LAWTRACE_S3_ACCESS_KEY", ""),
    "secret_key": env_str("LAWTRACE_S3_SECRET_KEY", ""),
    "region": env_str("LAWTRACE_S3_REGION", "us-east-1"),
    # The shortest term in any shipped pack is six months (004/12); the retention issue extends per record.
    "default_retention_days": env_int("LAWTRACE_S3_MIN_RETENTION_DAYS", 183, minimum=1),
}
EVIDENCE_UPLOAD_DIR = env_path("LAWTRACE_UPLOAD_DIR", DATA_DIR / "uploads")
# Staging and spooled upload files of crashed work are removed once untouched this long and unlocked by any process.
EVIDENCE_STAGING_GRACE_MINUTES = env_int("LAWTRACE_STAGING_GRACE_MINUTES", 120, minimum=1)
# Where bytes of unfinished uploads wait: a directory (local, or a mount every web node shares), or a bucket of
# the S3 store, so that the chunks of one upload may reach different web nodes.
EVIDENCE_UPLOAD_STORE = env_choice("LAWTRACE_UPLOAD_STORE", "local", ("local", "s3"))
EVIDENCE_S3_UPLOAD_BUCKET = env_str("LAWTRACE_S3_UPLOAD_BUCKET",
                                    f"{EVIDENCE_S3['bucket']}-uploads" if EVIDENCE_S3["bucket"] else "")
if EVIDENCE_UPLOAD_STORE == "s3" and not (EVIDENCE_S3["endpoint"] or EVIDENCE_S3["bucket"]):
    raise ImproperlyConfigured("LAWTRACE_UPLOAD_STORE=s3 needs the S3 store configured (LAWTRACE_S3_*)")
EVIDENCE_MAX_UPLOAD_BYTES = env_int("LAWTRACE_MAX_UPLOAD_GB", 64, minimum=1) << 30
EVIDENCE_LINK_TOLERANCE_MINUTES = env_int("LAWTRACE_LINK_TOLERANCE_MINUTES", 30, minimum=0, maximum=24 * 60)
EVIDENCE_STREAM_TOKEN_SECONDS = env_int("LAWTRACE_STREAM_TOKEN_SECONDS", 4 * 3600, minimum=60)
# The longest an access grant (调阅) may run; the regulations set none, so the deployment does.
ACCESS_GRANT_MAX_DAYS = env_int("LAWTRACE_ACCESS_GRANT_MAX_DAYS", 30, minimum=1)
# Packages checked on the verification page are unpacked on the server; larger ones go to the offline verifier.
# Notices by e-mail go out only when an SMTP server is configured; the dashboard shows them regardless.
EMAIL_HOST = env_str("LAWTRACE_SMTP_HOST", "")
EMAIL_PORT = env_int("LAWTRACE_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("LAWTRACE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = env_str("LAWTRACE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_str("LAWTRACE_SMTP_TLS", "false").lower() == "true"
DEFAULT_FROM_EMAIL = env_str("LAWTRACE_MAIL_FROM", "lawtrace@localhost")
# Officers drawn for each inspection target (at least two officers inspect together).
DRAW_OFFICERS_PER_TARGET = env_int("LAWTRACE_DRAW_OFFICERS_PER_TARGET", 2, minimum=2)
# How often each disc copy is test-read (001/3/9); the regulations name no interval.
DISC_READ_CHECK_DAYS = env_int("LAWTRACE_DISC_READ_CHECK_DAYS", 365, minimum=7)
# An exported register (.xlsx) is written a batch at a time in constant memory; a register longer than this is
# refused with its count and how to narrow it, never cut.
ACCESS_REGISTER_EXPORT_LIMIT = env_int("LAWTRACE_REGISTER_EXPORT_ROWS", 200000, minimum=100)
# Worklist counts on the dashboards are exact up to this many records; a longer worklist is counted in full at most
# once in this many seconds per person and shown as "约 N" (evidence.queries.worklist_counts).
WORKLIST_EXACT_COUNT = env_int("LAWTRACE_WORKLIST_EXACT_COUNT", 1000, minimum=1)
WORKLIST_ESTIMATE_SECONDS = env_int("LAWTRACE_WORKLIST_ESTIMATE_SECONDS", 600, minimum=10)
# A printed register or ledger (PDF) is laid out by WeasyPrint, which costs about 12 ms of CPU and 0.2 MB a register
# row (bench/pages.py: 2,002 rows in 27.8 CPU seconds; issue 27: 52,418 rows in one piece took minutes and 4.5 GB).
# Up to PRINTED_REGISTER_ROWS rows it is made while the page waits; longer ones are made by a background job a batch
# of PRINT_BATCH_ROWS rows at a time, so its memory is one batch's layout (printing/render.py; 20,000 rows peaked at
# 318 MB), with a progress page. Above PRINTED_DOCUMENT_MAX_ROWS (an hour and a half or more of one core's work) it
# is refused with the count and how to narrow it, never cut.
PRINTED_REGISTER_ROWS = env_int("LAWTRACE_PRINTED_REGISTER_ROWS", 1000, minimum=1)
PRINTED_DOCUMENT_MAX_ROWS = env_int("LAWTRACE_PRINTED_DOCUMENT_MAX_ROWS", 500000, minimum=100)
PRINT_BATCH_ROWS = env_int("LAWTRACE_PRINT_BATCH_ROWS", 500, minimum=1, maximum=5000)
# A job that wrote no progress for this long (its worker died) is marked failed; finished documents are kept this
# many days for their asker, then removed (the row and its events stay).
PRINT_STALLED_MINUTES = env_int("LAWTRACE_PRINT_STALLED_MINUTES", 15, minimum=1)
PRINTED_KEEP_DAYS = env_int("LAWTRACE_PRINTED_KEEP_DAYS", 7, minimum=1)
# The audit administrator's event search: rows one export may hold, the working hours (local, start and end hour)
# outside which work is listed, and how many reads and copies on one day make an account's viewing "bulk".
LEDGER_EXPORT_ROWS = env_int("LAWTRACE_EVENT_EXPORT_ROWS", 100000, minimum=100)
WORKING_HOURS = (env_int("LAWTRACE_WORK_START_HOUR", 8, minimum=0, maximum=23),
                 env_int("LAWTRACE_WORK_END_HOUR", 18, minimum=1, maximum=24))
if WORKING_HOURS[0] >= WORKING_HOURS[1]:
    raise ImproperlyConfigured("LAWTRACE_WORK_START_HOUR must be before LAWTRACE_WORK_END_HOUR")
BULK_READS_PER_DAY = env_int("LAWTRACE_BULK_READS_PER_DAY", 50, minimum=1)
ACCESS_VERIFY_MAX_BYTES = env_int("LAWTRACE_VERIFY_MAX_MB", 2048, minimum=1) * 1024 * 1024
# A built evidence package waits this long for its download before the archive is removed from the server.
ACCESS_PACKAGE_KEEP_DAYS = env_int("LAWTRACE_PACKAGE_KEEP_DAYS", 7, minimum=1)
# Fixity: every original is re-hashed on a cycle (shorter for open cases), read at no more than this rate.
FIXITY_CYCLE_DAYS = env_int("LAWTRACE_FIXITY_CYCLE_DAYS", 90, minimum=1)
FIXITY_OPEN_CASE_CYCLE_DAYS = env_int("LAWTRACE_FIXITY_OPEN_CASE_CYCLE_DAYS", 30, minimum=1)
FIXITY_MAX_MB_PER_S = env_int("LAWTRACE_FIXITY_MAX_MB_PER_S", 50, minimum=1)
FIXITY_RUN_MINUTES = env_int("LAWTRACE_FIXITY_RUN_MINUTES", 50, minimum=1, maximum=24 * 60)
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp")
# Operations: when /healthz says a node cannot serve (below this much free disk), when it warns (tasks waiting
# longer than this), and which monitoring addresses may read /metrics.
HEALTH_MIN_FREE_MB = env_int("LAWTRACE_HEALTH_MIN_FREE_MB", 1024, minimum=0)
HEALTH_QUEUE_WARN_SECONDS = env_int("LAWTRACE_HEALTH_QUEUE_WARN_SECONDS", 900, minimum=1)
METRICS_ALLOWED = env_networks("LAWTRACE_METRICS_ALLOWED", ["127.0.0.1/32", "::1/128"])
# Finished background task results are pruned after this many days (failed ones after three times as long).
TASK_RESULTS_KEEP_DAYS = env_int("LAWTRACE_TASK_RESULTS_KEEP_DAYS", 30, minimum=1)
# Compliance tolerances: the regulations name no numbers, so these are the deployment's reading of "uninterrupted",
# "from arrival to departure" and "clock set to the current time"; every finding still cites the pack's article.
COMPLIANCE_GAP_SECONDS = env_int("LAWTRACE_GAP_TOLERANCE_SECONDS", 120, minimum=0)
COMPLIANCE_UNINTERRUPTED_GAP_SECONDS = env_int("LAWTRACE_UNINTERRUPTED_GAP_SECONDS", 10, minimum=0)
COMPLIANCE_EDGE_SECONDS = env_int("LAWTRACE_COVERAGE_EDGE_SECONDS", 300, minimum=0)
COMPLIANCE_CLOCK_SECONDS = env_int("LAWTRACE_CLOCK_TOLERANCE_SECONDS", 60, minimum=0)
COMPLIANCE_PRE_USE_HOURS = env_int("LAWTRACE_PRE_USE_CHECK_HOURS", 12, minimum=1, maximum=72)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": ["lawtrace.badinput.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": PAGE_SIZE,
}
SPECTACULAR_SETTINGS = {"TITLE": "Lawtrace API", "VERSION": "1", "SERVE_INCLUDE_SCHEMA": False,
                        # The browsable page's assets ship with the app (no CDN; the CSP allows none).
                        "SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR",
                        "ENUM_NAME_OVERRIDES": {"CaseStateEnum": "cases.models.Case.State",
                                                "DecisionStateEnum": "cases.models.Decision.State"}}
# The integration API (integration/): calls per token and minute, the longest a token may be valid, how often and
# for how long a webhook delivery is retried.
INTEGRATION_API_RATE = env_str("LAWTRACE_API_RATE", "600/min")
INTEGRATION_TOKEN_MAX_DAYS = env_int("LAWTRACE_API_TOKEN_MAX_DAYS", 366, minimum=1)
INTEGRATION_WEBHOOK_ATTEMPTS = env_int("LAWTRACE_WEBHOOK_ATTEMPTS", 8, minimum=1, maximum=30)
INTEGRATION_WEBHOOK_TIMEOUT = env_int("LAWTRACE_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
