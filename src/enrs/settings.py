"""Django settings for ENRS, read from the environment (12-factor).

Every setting that differs between a laptop, CI and production comes from an
``ENRS_*`` environment variable; the defaults give the embedded set-up
(SQLite under ``var/``, in-memory layers, console e-mail).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ENRS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Read the key from the environment, else from a file generated once under var/.

    No secret is ever committed: a fresh machine gets its own random key.
    """
    if key := os.environ.get("ENRS_SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret.key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("ENRS_DEBUG", False)
ALLOWED_HOSTS = env_list("ENRS_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("ENRS_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    # "daphne" before staticfiles makes `enrs runserver` serve ASGI (HTTP and WebSockets).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "oauth2_provider",
    "django_tasks",
    "django_tasks_db",
    "enrs.core",
    "enrs.accounts",
    "enrs.access",
    "enrs.connectors",
    "enrs.directory",
    "enrs.identity",
    "enrs.offer",
    "enrs.interfaces",
    "enrs.fhir",
    "enrs.portal",
    "enrs.membership",
    "enrs.observatory",
    "enrs.telehealth",
    "enrs.demo",
    "enrs.bench",
    "enrs.agenda",  # issue 6: shared agendas and e-RDV
    "enrs.coordination",  # issue 5: coordination record, documents, pathways
    "channels",
    "enrs.messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "enrs.core.middleware.RequestIdMiddleware",
    "enrs.core.middleware.InvalidFormStatusMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "enrs.urls"
WSGI_APPLICATION = "enrs.wsgi.application"
ASGI_APPLICATION = "enrs.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "enrs" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "enrs.portal.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("ENRS_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'enrs.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the embedded worker and web process share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication (docs/security/authentication.md) -------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "enrs.accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:landing"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Global default; self-registered patients are always held to "mandatory" by
# enrs.accounts.stages.PatientEmailVerificationStage.
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ENRS_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_ALLOW_REGISTRATION = env_bool("ENRS_ALLOW_REGISTRATION", False)
ACCOUNT_ADAPTER = "enrs.accounts.adapter.AccountAdapter"
# Brute force: 10 failures a minute per IP slow an attacker down; 5 failures on one
# account lock it for 15 minutes, even with the right password afterwards.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": os.environ.get("ENRS_LOGIN_FAILED_RATE", "10/m/ip,5/15m/key"),
    "reauthenticate": "5/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "10/m/ip",
}
ACCOUNT_REAUTHENTICATION_TIMEOUT = int(os.environ.get("ENRS_REAUTHENTICATION_TIMEOUT", 300))

# Pro Santé Connect: an OpenID Connect provider configured from the environment.
# Without ENRS_PSC_ISSUER the button is hidden and the PSC routes answer 404.
ENRS_PSC_ISSUER = os.environ.get("ENRS_PSC_ISSUER", "")
ENRS_PSC_CLIENT_ID = os.environ.get("ENRS_PSC_CLIENT_ID", "")
ENRS_PSC_CLIENT_SECRET = os.environ.get("ENRS_PSC_CLIENT_SECRET", "")
ENRS_PSC_ACR_VALUES = os.environ.get("ENRS_PSC_ACR_VALUES", "eidas1")
ENRS_PSC_SCOPES = os.environ.get("ENRS_PSC_SCOPES", "openid scope_all").split()
ENRS_PSC_ID_CLAIM = os.environ.get("ENRS_PSC_ID_CLAIM", "SubjectNameID")
# Logout continues at PSC's end_session_endpoint (RP-initiated logout); "0" keeps it local.
# The landing page's absolute URL must be registered at PSC as a post-logout redirect URI.
ENRS_PSC_LOGOUT = os.environ.get("ENRS_PSC_LOGOUT", "1") == "1"


def psc_app(issuer: str, client_id: str, secret: str, acr_values: str, scopes: list[str]) -> dict:
    """The allauth ``openid_connect`` app for PSC (tests build theirs with the same function)."""
    return {
        "provider_id": "psc",
        "name": "Pro Santé Connect",
        "client_id": client_id,
        "secret": secret,
        "settings": {
            "server_url": issuer,
            "scope": scopes,
            "auth_params": {"acr_values": acr_values} if acr_values else {},
            "oauth_pkce_enabled": True,
            "token_auth_method": "client_secret_post",
        },
    }


SOCIALACCOUNT_ADAPTER = "enrs.accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the identity comes from PSC and the directory
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never link by e-mail: only by idNatPS
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = int(os.environ.get("ENRS_PSC_TIMEOUT", 10))
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            psc_app(ENRS_PSC_ISSUER, ENRS_PSC_CLIENT_ID, ENRS_PSC_CLIENT_SECRET, ENRS_PSC_ACR_VALUES, ENRS_PSC_SCOPES)
        ]
        if ENRS_PSC_ISSUER
        else [],
    }
}

# MFA: TOTP is the "OTP connection" of professionals without a CPS card.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("ENRS_MFA_ISSUER", "ENRS")
MFA_TOTP_TOLERANCE = 1
ENRS_REQUIRE_MFA_FOR_PROFESSIONALS = env_bool("ENRS_REQUIRE_MFA_FOR_PROFESSIONALS", True)
# Trail-only appends commit without waiting for the WAL flush (docs/security/trail.md).
ENRS_AUDIT_ASYNC_COMMIT = env_bool("ENRS_AUDIT_ASYNC_COMMIT", True)

# --- Sessions and security headers ----------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ENRS_SECURE_COOKIES", not DEBUG and env_bool("ENRS_HTTPS", False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"  # "Strict" would drop the cookie on the return from PSC
SESSION_COOKIE_AGE = int(os.environ.get("ENRS_SESSION_AGE", 8 * 3600))  # absolute lifetime
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
ENRS_SESSION_IDLE_TIMEOUT = int(os.environ.get("ENRS_SESSION_IDLE_TIMEOUT", 1800))
# Appended here (not in MIDDLEWARE above) so that this block stays self-contained:
# they need the session, the user and messages, and must run inside CSPMiddleware.
MIDDLEWARE += [
    "enrs.accounts.middleware.IdleTimeoutMiddleware",
    "enrs.accounts.middleware.ProfessionalMfaMiddleware",
    "enrs.accounts.middleware.PscFormActionMiddleware",
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("ENRS_HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("ENRS_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = True

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- Internationalisation --------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "src" / "enrs" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = []
_htmx_dist = BASE_DIR / "node_modules" / "htmx.org" / "dist"
if _htmx_dist.exists():
    STATICFILES_DIRS.append(("vendor/htmx", _htmx_dist))
# Serve from the finders so that `make run` needs no collectstatic step;
# production runs collectstatic and gets compressed, cache-busted files.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ENRS_IMPORT_DIR = VAR_DIR / "imports"

# --- Object store for documents and attachments ------------------------------
# `storages["documents"]` everywhere a file is kept. Filesystem by default; an
# S3-compatible service (django-storages) in production: ENRS_DOCUMENT_STORAGE=s3.
ENRS_DOCUMENT_ROOT = Path(os.environ.get("ENRS_DOCUMENT_ROOT", VAR_DIR / "documents"))
if os.environ.get("ENRS_DOCUMENT_STORAGE", "filesystem") == "s3":
    _documents_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("ENRS_S3_BUCKET", "enrs-documents"),
            "endpoint_url": os.environ.get("ENRS_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("ENRS_S3_ACCESS_KEY"),
            "secret_key": os.environ.get("ENRS_S3_SECRET_KEY"),
            "region_name": os.environ.get("ENRS_S3_REGION") or None,
            "file_overwrite": False,  # a document version is never overwritten
            "default_acl": None,
            "querystring_auth": True,
        },
    }
else:
    _documents_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ENRS_DOCUMENT_ROOT},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "documents": _documents_storage,
}

# --- Background tasks (django-tasks) ---------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("ENRS_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Cache -----------------------------------------------------------------
if redis_url := os.environ.get("ENRS_REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- E-mail ------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("ENRS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("ENRS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("ENRS_EMAIL_PORT", 25))
DEFAULT_FROM_EMAIL = os.environ.get("ENRS_FROM_EMAIL", "ENRS <ne-pas-repondre@enrs.invalid>")

# --- Logging -----------------------------------------------------------------
LOG_FORMAT = os.environ.get("ENRS_LOG_FORMAT", "text")  # "text" or "json"
LOG_LEVEL = os.environ.get("ENRS_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "enrs.core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- ENRS-specific -------------------------------------------------------------
ENRS_REGION_NAME = os.environ.get("ENRS_REGION_NAME", "Normandie")
# Départements of the region (observatory maps; "*" = all of metropolitan France), comma-separated.
ENRS_REGION_DEPARTEMENTS = [c.strip().upper() for c in os.environ.get("ENRS_REGION_DEPARTEMENTS", "14,27,50,61,76").split(",") if c.strip()]
# Absolute address of the platform, for links in e-mails and SMS.
ENRS_PUBLIC_URL = os.environ.get("ENRS_PUBLIC_URL", "http://127.0.0.1:8000")
# SMS provider interface (enrs.core.sms): console by default, an operator's class in production.
ENRS_SMS_BACKEND = os.environ.get("ENRS_SMS_BACKEND", "enrs.core.sms.ConsoleBackend")
# Largest uploaded file (documents, attachments), in bytes.
ENRS_UPLOAD_MAX_BYTES = int(os.environ.get("ENRS_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
ENRS_FHIR_BASE_URL = os.environ.get("ENRS_FHIR_BASE_URL", "")  # empty: derived from the request
ENRS_FHIR_DEFAULT_COUNT = int(os.environ.get("ENRS_FHIR_DEFAULT_COUNT", 20))
ENRS_FHIR_MAX_COUNT = int(os.environ.get("ENRS_FHIR_MAX_COUNT", 200))

# --- OAuth2 / connectors (system-to-system access; docs/security/connectors.md) ---
# Connectors get short-lived Bearer tokens through the client-credentials grant;
# scopes are data in enrs.connectors.scopes, granted per connector. Client
# secrets are hashed (DOT default) and tokens are stored as checksums only.
# Named explicitly: Connector links to it and its migration refers to this setting.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("ENRS_OAUTH_ACCESS_TOKEN_SECONDS", 3600)),
    "SCOPES_BACKEND_CLASS": "enrs.connectors.scopes.ConnectorScopes",
    "OAUTH2_VALIDATOR_CLASS": "enrs.connectors.oauth.ConnectorOAuth2Validator",
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
}
# Token and revocation endpoints: "<count>/<seconds>" per client id and per IP address.
ENRS_OAUTH_RATE_LIMIT_CLIENT = os.environ.get("ENRS_OAUTH_RATE_LIMIT_CLIENT", "10/60")
ENRS_OAUTH_RATE_LIMIT_IP = os.environ.get("ENRS_OAUTH_RATE_LIMIT_IP", "30/60")

# --- Real time and secure messaging (issue 7; docs/services/messaging.md) -------
# Chat messages are stored by a thread of the server process, or by a writer process of
# its own (docs/services/messaging.md): "thread" (default) or "process".
ENRS_CHAT_WRITER = os.environ.get("ENRS_CHAT_WRITER", "thread")
# Youngest-generation threshold of the garbage collector in ASGI servers (enrs.core.runtime); 0: Python's 700.
ENRS_GC_THRESHOLD = int(os.environ.get("ENRS_GC_THRESHOLD", "50000"))
# In-memory channel layer embedded (one process); Redis when ENRS_CHANNEL_LAYER=redis
# or ENRS_REDIS_URL is set, so that several ASGI processes deliver each other's messages.
ENRS_CHANNEL_LAYER = os.environ.get("ENRS_CHANNEL_LAYER", "redis" if os.environ.get("ENRS_REDIS_URL") else "memory")
if ENRS_CHANNEL_LAYER == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the same as the 5 s
                # blocking pop of channels_redis: under load the read times out and kills the
                # consumer (WebSocket closed 1011). The socket timeout must exceed the pop.
                "hosts": [{
                    "address": os.environ.get("ENRS_CHANNEL_REDIS_URL") or os.environ.get("ENRS_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "socket_timeout": 30,
                }],
                "capacity": int(os.environ.get("ENRS_CHANNEL_CAPACITY", 1000)),
                "expiry": 60,
                "prefix": os.environ.get("ENRS_CHANNEL_PREFIX", "enrs"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            # Channels' in-memory layer, its O(sockets) expiry sweep run once a second at most.
            "BACKEND": "enrs.core.channel_layers.ThrottledInMemoryChannelLayer",
            "CONFIG": {"capacity": int(os.environ.get("ENRS_CHANNEL_CAPACITY", 1000))},
        }
    }
# Days a chat message is kept, per conversation kind (direct, group, record, patient);
# `enrs messaging_purge` deletes older ones. Default: 365 days everywhere.
ENRS_MESSAGING_RETENTION_DAYS = {
    "default": int(os.environ.get("ENRS_MESSAGING_RETENTION_DAYS", 365)),
    **{
        kind: int(os.environ[f"ENRS_MESSAGING_RETENTION_DAYS_{kind.upper()}"])
        for kind in ("direct", "group", "record", "patient")
        if os.environ.get(f"ENRS_MESSAGING_RETENTION_DAYS_{kind.upper()}")
    },
}
# MSSanté submission (the operator's SMTP server; STARTTLS and authentication are mandatory).
ENRS_MSSANTE_HOST = os.environ.get("ENRS_MSSANTE_HOST", "")
ENRS_MSSANTE_PORT = int(os.environ.get("ENRS_MSSANTE_PORT", 587))
ENRS_MSSANTE_USERNAME = os.environ.get("ENRS_MSSANTE_USERNAME", "")
ENRS_MSSANTE_PASSWORD = os.environ.get("ENRS_MSSANTE_PASSWORD", "")
ENRS_MSSANTE_SENDER = os.environ.get("ENRS_MSSANTE_SENDER", "")  # platform mailbox when the user has none
ENRS_MSSANTE_DOMAIN_SUFFIX = os.environ.get("ENRS_MSSANTE_DOMAIN_SUFFIX", "mssante.fr")
ENRS_MSSANTE_CA_FILE = os.environ.get("ENRS_MSSANTE_CA_FILE", "")
ENRS_MSSANTE_CLIENT_CERT = os.environ.get("ENRS_MSSANTE_CLIENT_CERT", "")
ENRS_MSSANTE_CLIENT_KEY = os.environ.get("ENRS_MSSANTE_CLIENT_KEY", "")
ENRS_MSSANTE_READ_RECEIPT = env_bool("ENRS_MSSANTE_READ_RECEIPT", False)  # unconfirmed convention
# Fixed extra headers on every MSSanté message, as JSON (e.g. '{"X-MSS-MES": "..."}'); unconfirmed conventions.
ENRS_MSSANTE_EXTRA_HEADERS = __import__("json").loads(os.environ.get("ENRS_MSSANTE_EXTRA_HEADERS", "{}"))
# IHE XDM packaging (IHE_XDM.ZIP; messaging/xdm.py): "cda" (CDA documents only), "always" or "never";
# the OIDs are placeholders until the operator sets its own arc. Unconfirmed conventions.
ENRS_MSSANTE_XDM = os.environ.get("ENRS_MSSANTE_XDM", "cda")
ENRS_MSSANTE_XDM_FILENAME = os.environ.get("ENRS_MSSANTE_XDM_FILENAME", "IHE_XDM.ZIP")
ENRS_MSSANTE_XDM_KEEP_ORIGINAL = env_bool("ENRS_MSSANTE_XDM_KEEP_ORIGINAL", True)
ENRS_MSSANTE_XDM_OID_ROOT = os.environ.get("ENRS_MSSANTE_XDM_OID_ROOT", "1.2.250.1.999.1")
ENRS_MSSANTE_XDM_LOCAL_PATIENT_OID = os.environ.get("ENRS_MSSANTE_XDM_LOCAL_PATIENT_OID", "1.2.250.1.999.1.2")
# Telehealth video (WebRTC): a self-hosted STUN/TURN (coturn), as a JSON list of RTCIceServer
# dicts; empty means host candidates only (same network). No third-party cloud.
# Days a professional stays in the patient's care team after a booked teleconsultation (rooms.py).
ENRS_TELECONSULTATION_CARE_DAYS = int(os.environ.get("ENRS_TELECONSULTATION_CARE_DAYS", 30))
ENRS_WEBRTC_ICE_SERVERS = __import__("json").loads(os.environ.get("ENRS_WEBRTC_ICE_SERVERS", "[]"))
ENRS_TURN_SECRET = os.environ.get("ENRS_TURN_SECRET", "")  # coturn static-auth-secret (REST API credentials)
ENRS_TURN_TTL_SECONDS = int(os.environ.get("ENRS_TURN_TTL_SECONDS", 3600))
