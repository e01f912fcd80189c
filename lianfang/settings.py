"""Settings for Lianfang, read from the environment.

With nothing set, Lianfang runs on an SQLite file under ``LIANFANG_DATA_DIR`` (default ``./data``),
with jobs in an SQLite-backed queue. Production sets ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``
and ``LIANFANG_PRODUCTION=1``; see docs/operations.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("LIANFANG_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _persistent_secret(name: str, env: str, factory) -> str:
    """A secret from the environment, or one generated once and kept in the data folder.

    The embedded default must survive restarts without any set-up, so a generated key is written
    next to the database; production deployments set the variable instead.
    """
    value = os.environ.get(env)
    if value:
        return value
    path = DATA_DIR / name
    if path.exists():
        return path.read_text().strip()
    value = factory()
    path.write_text(value)
    path.chmod(0o600)
    return value


PRODUCTION = _env_bool("LIANFANG_PRODUCTION")
DEBUG = _env_bool("DEBUG", default=False)
if PRODUCTION:
    # A generated key lives in the data folder; in production that folder may be rebuilt, and a new
    # field key would make every stored ID number unreadable. Production names both keys itself.
    from django.core.exceptions import ImproperlyConfigured

    _missing = [name for name in ("SECRET_KEY", "LIANFANG_FIELD_KEY") if not os.environ.get(name)]
    if _missing:
        raise ImproperlyConfigured(f"LIANFANG_PRODUCTION is set: set {' and '.join(_missing)} in the environment.")
SECRET_KEY = _persistent_secret("secret_key", "SECRET_KEY", lambda: secrets.token_urlsafe(50))
# Key for encrypted columns (ID numbers). Separate from SECRET_KEY so that rotating one
# does not make the other's data unreadable.
FIELD_ENCRYPTION_KEY = _persistent_secret(
    "field_key", "LIANFANG_FIELD_KEY", lambda: __import__("cryptography.fernet").fernet.Fernet.generate_key().decode()
)

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "treebeard",
    "huey.contrib.djhuey",
    # Sign-in protection (issue 11, docs/adr/0011-two-factor-django-otp.md): TOTP and recovery codes, lockout.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "lianfang.core",
    "lianfang.org",
    "lianfang.people",
    "lianfang.accounts",
    "lianfang.notify",
    "lianfang.privacy",
    "lianfang.health",
    "lianfang.cases",
    "lianfang.status",
    "lianfang.duty",
    "lianfang.command",
    "lianfang.sites",
    "lianfang.outings",
    "lianfang.teams",
    "lianfang.materials",
    "lianfang.donations",
    "lianfang.reporting",
    "lianfang.web",
    "lianfang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lianfang.core.middleware.RequestContextMiddleware",
    # Personal data is never cached: private, no-store on the API and on signed-in pages (issue 11).
    "lianfang.core.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout, the sign-ins list, and the second factor on every page and API session.
    "lianfang.accounts.middleware.SignInProtectionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lianfang.urls"
WSGI_APPLICATION = "lianfang.wsgi.application"

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
                "lianfang.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'lianfang.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run while a job writes; IMMEDIATE avoids "database is locked" upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Covering indexes (INCLUDE columns) speed PostgreSQL up; SQLite builds them as plain indexes,
    # which is all the embedded database needs, so its warning about it says nothing to act on.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Jobs: Huey, on an SQLite file by default and on Redis in production (docs/adr/0002-job-queue.md).
HUEY = {
    "name": "lianfang",
    "immediate": _env_bool("LIANFANG_JOBS_IMMEDIATE", default=False),
    "results": True,
    "utc": True,
    "consumer": {"workers": int(os.environ.get("LIANFANG_JOB_WORKERS", "2")), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "jobs.sqlite3")})

if _env_bool("LIANFANG_TESTING"):
    # Test users are created by the hundred; a slow hash only slows the suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Ten characters at least for the roles that must use a second factor.
    {"NAME": "lianfang.accounts.validators.PrivilegedPasswordValidator"},
]
# django-axes checks every authenticate() first (it needs the request: the login page and the token
# endpoint pass it; tests that call client.login pass request=HttpRequest()).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed sign-ins count per account AND address together: nobody can lock a leader out from
# elsewhere, and one NAT does not lock out a whole subsidiary (ADR 0011).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("LIANFANG_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("LIANFANG_LOCKOUT_MINUTES", "30")) / 60  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "lianfang.accounts.views.locked_out"
AXES_VERBOSE = False
# The address as the audit rows see it (X-Forwarded-For only behind the production proxy).
AXES_CLIENT_IP_CALLABLE = "lianfang.core.middleware.client_ip"
OTP_TOTP_ISSUER = "Lianfang"
# The second factor for the roles the office names (GroupSettings.two_factor_roles). Off only where
# no person signs in for real: the test suite (its tests of the second factor turn it on) and the
# demo loader sets the roles empty instead, saying so.
LIANFANG_TWO_FACTOR_ENFORCED = _env_bool("LIANFANG_TWO_FACTOR", default=not _env_bool("LIANFANG_TESTING"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request until collectstatic has run
# The project's own assets (lianfang/static: CSS, JS, vendored htmx) are not in an app's static/.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not _env_bool("LIANFANG_TESTING")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or _env_bool("LIANFANG_TESTING")
MEDIA_ROOT = DATA_DIR / "media"

# Uploads: roster files are read in full; anything bigger than this is refused before reading.
LIANFANG_MAX_UPLOAD_BYTES = int(os.environ.get("LIANFANG_MAX_UPLOAD_BYTES", str(30 * 1024 * 1024)))
# A .xlsx is a zip: its parts may not expand beyond this (zip bombs are refused before reading).
LIANFANG_MAX_XLSX_EXPANDED_BYTES = int(
    os.environ.get("LIANFANG_MAX_XLSX_EXPANDED_BYTES", str(16 * LIANFANG_MAX_UPLOAD_BYTES))
)
LIANFANG_MAX_IMPORT_ROWS = int(os.environ.get("LIANFANG_MAX_IMPORT_ROWS", "200000"))
# A photo (a disinfection round's evidence) larger than this is refused before it is stored.
LIANFANG_MAX_PHOTO_BYTES = int(os.environ.get("LIANFANG_MAX_PHOTO_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Service tokens (limited to endpoints, a subtree, an expiry) and the personal tokens before them.
        "lianfang.accounts.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lianfang.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lianfang API",
    "DESCRIPTION": "Joint epidemic prevention and control (联防) for an enterprise group and its units.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind" or "status": name each choice set after its class.
    "ENUM_NAME_OVERRIDES": {
        "AuditKindEnum": "lianfang.core.models.AuditKind",
        # Checkpoints (issue 13).
        "GateDirectionEnum": "lianfang.sites.choices.Direction",
        "GateDecisionEnum": "lianfang.sites.choices.Decision",
        "GateDenyReasonEnum": "lianfang.sites.choices.DenyReason",
        "JobStatusEnum": "lianfang.core.models.JobStatus",
        "ChangeActionEnum": "lianfang.core.models.ChangeAction",
        "QuestionKindEnum": "lianfang.health.choices.QuestionKind",
        "ReportFieldKindEnum": "lianfang.reporting.choices.FieldKind",
        "RaisedKindEnum": "lianfang.reporting.choices.RaisedKind",
        "ReportStatusEnum": "lianfang.reporting.choices.ReportStatus",
        "RaisedStatusEnum": "lianfang.reporting.choices.RaisedStatus",
        "BulletinStatusEnum": "lianfang.reporting.choices.BulletinStatus",
        "TimelinessEnum": "lianfang.reporting.choices.Timeliness",
        "RobotKindEnum": "lianfang.notify.choices.RobotKind",
        "DeliveryStatusEnum": "lianfang.notify.choices.DeliveryStatus",
        "DeliveryChannelEnum": "lianfang.notify.choices.DeliveryChannel",
        # Cases app (issue 4).
        "CaseStatusEnum": "lianfang.cases.choices.CaseStatus",
        "AlertStatusEnum": "lianfang.cases.choices.AlertStatus",
        "IsolationKindEnum": "lianfang.cases.choices.IsolationKind",
        "IsolationReasonEnum": "lianfang.cases.choices.IsolationReason",
        "TestResultEnum": "lianfang.cases.choices.TestResult",
        "RiskLevelEnum": "lianfang.health.choices.RiskLevel",
        "TripKindEnum": "lianfang.health.choices.TripKind",
        "TransportEnum": "lianfang.health.choices.Transport",
        "TripSourceEnum": "lianfang.health.choices.TripSource",
        "HealthColourEnum": "lianfang.status.choices.Colour",
        "StatusCauseEnum": "lianfang.status.choices.StatusCause",
        "MovementKindEnum": "lianfang.materials.choices.MovementKind",
        "MaterialCategoryEnum": "lianfang.materials.choices.Category",
        # Donations and the emergency fund (materials).
        "DonationDirectionEnum": "lianfang.donations.choices.Direction",
        "DonationKindEnum": "lianfang.donations.choices.DonationKind",
        "SpendingStatusEnum": "lianfang.donations.choices.SpendingStatus",
        # Urgent matters (command app, issue 12).
        "UrgentMatterKindEnum": "lianfang.command.choices.MatterKind",
        "UrgentMatterStateEnum": "lianfang.command.choices.MatterState",
        "UrgentReportKindEnum": "lianfang.command.choices.ReportKind",
        "UrgentHopViaEnum": "lianfang.command.choices.HopVia",
        # Requests, offers, transfers and rebalancing (materials).
        "MaterialRequestStatusEnum": "lianfang.materials.choices.RequestStatus",
        "OfferStatusEnum": "lianfang.materials.choices.OfferStatus",
        "TransferStatusEnum": "lianfang.materials.choices.TransferStatus",
        "ProposalStatusEnum": "lianfang.materials.choices.ProposalStatus",
        "UrgencyEnum": "lianfang.materials.choices.Urgency",
        # Duty (issue 12).
        "RoleEnum": "lianfang.org.choices.Role",
        "DutyMemberRoleEnum": "lianfang.duty.choices.MemberRole",
        "DutyEntryKindEnum": "lianfang.duty.choices.EntryKind",
        "DutyPatternEnum": "lianfang.duty.choices.Pattern",
        "DutyPhoneCheckEnum": "lianfang.duty.choices.PhoneCheck",
        "DutyHandoverStatusEnum": "lianfang.duty.choices.HandoverStatus",
        "DutySwapStatusEnum": "lianfang.duty.choices.SwapStatus",
        # Outings (issue 13).
        "OutingStateEnum": "lianfang.outings.choices.OutingState",
        "OutingRouteEnum": "lianfang.outings.choices.Route",
        "OutingStepKindEnum": "lianfang.outings.choices.StepKind",
        "OutingStepDecisionEnum": "lianfang.outings.choices.StepDecision",
        # Disinfection (sites app, issue 13).
        "DisinfectionRoundKindEnum": "lianfang.sites.choices.RoundKind",
        "DisinfectionPlanKindEnum": "lianfang.sites.choices.PLANNED_KINDS",
        "DisinfectionAreaEnum": "lianfang.sites.choices.Area",
        "DisinfectionFrequencyEnum": "lianfang.sites.choices.Frequency",
        "DisinfectionRoundStatusEnum": "lianfang.sites.choices.RoundStatus",
    },
    # Swagger UI would otherwise send the schema to an online validator: intranets have no internet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Every operation documents its refusals (400, 401, 403, 404) as well as its success.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lianfang.core.schema.document_errors",
    ],
}

# E-mail for reminders; without EMAIL_HOST messages go to the console (development).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "lianfang@localhost")
# Chat-group robots may only post to the services' own hosts, plus these (an intranet proxy).
LIANFANG_ROBOT_ALLOWED_HOSTS = [
    h.strip().lower() for h in os.environ.get("LIANFANG_ROBOT_ALLOWED_HOSTS", "").split(",") if h.strip()
]

# SMS for urgent matters (lianfang/notify/sms.py, docs/notifications.md "SMS"): "none" (the default:
# nothing is sent, every attempt is recorded as not sent), "aliyun" (Alibaba Cloud SMS) or "tencent"
# (Tencent Cloud SMS). The sign name (签名) and template (模板 code or id) are approved by the provider.
LIANFANG_SMS_PROVIDER = os.environ.get("LIANFANG_SMS_PROVIDER", "none").strip().lower() or "none"
LIANFANG_SMS_ACCESS_KEY_ID = os.environ.get("LIANFANG_SMS_ACCESS_KEY_ID", "")
LIANFANG_SMS_ACCESS_KEY_SECRET = os.environ.get("LIANFANG_SMS_ACCESS_KEY_SECRET", "")
LIANFANG_SMS_SIGN_NAME = os.environ.get("LIANFANG_SMS_SIGN_NAME", "")
LIANFANG_SMS_TEMPLATE = os.environ.get("LIANFANG_SMS_TEMPLATE", "")
LIANFANG_SMS_SDK_APP_ID = os.environ.get("LIANFANG_SMS_SDK_APP_ID", "")  # Tencent Cloud only
LIANFANG_SMS_REGION = os.environ.get("LIANFANG_SMS_REGION", "")  # empty: cn-hangzhou / ap-guangzhou
LIANFANG_SMS_ENDPOINT = os.environ.get("LIANFANG_SMS_ENDPOINT", "")  # empty: the provider's own address
LIANFANG_SMS_TIMEOUT = float(os.environ.get("LIANFANG_SMS_TIMEOUT", "5"))

# A phone stays signed in this long, so a normal day's check-in is one tap.
SESSION_COOKIE_AGE = int(os.environ.get("LIANFANG_SESSION_DAYS", "14")) * 24 * 3600
# An activation link or QR code handed out by a liaison is valid this long (and only once).
LIANFANG_ACTIVATION_DAYS = int(os.environ.get("LIANFANG_ACTIVATION_DAYS", "14"))
# Audit events and the change log are kept this many days, then purged: at least 183 (six months,
# 等保 2.0; a smaller value stops Lianfang at start, core's system check), three years by default
# (PIPL Art. 56). Read through lianfang.core.append_only.audit_retention_days().
LIANFANG_AUDIT_RETENTION_DAYS = os.environ.get("LIANFANG_AUDIT_RETENTION_DAYS", "1095")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Huey adds its own handler unless its logger stops propagating: one line per event, not two.
    # (At WARNING by default: the periodic tasks would otherwise print a line each every minute.)
    "loggers": {"huey": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING"), "propagate": False}},
}
