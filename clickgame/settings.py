"""Django settings for clickgame, read from the environment with django-environ.

With no environment at all the project runs on an embedded default: DEBUG on, a SQLite file,
the local-memory cache and a development bot token. Every variable read here is listed with a
comment in `.env.example` (a test enforces it).
"""

from pathlib import Path

from core.environment import ConfigError, Environment, require_all

BASE_DIR = Path(__file__).resolve().parent.parent

# Strict reading: a bad value stops start-up with one line naming the variable (core/environment).
env = Environment()
# A local .env (never committed) is read when present; real environment variables win.
Environment.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked for: `make run` and the test settings turn it on (core/devtools.py).
DEBUG: bool = env.bool("DEBUG", default=False)

# A development bot's token, never the real one: with DEBUG on and no TELEGRAM_BOT_TOKEN the dev
# sign-in signs with it and initData signed with it is accepted (core/devtools.py).
DEV_BOT_TOKEN: str = env.str("DEV_BOT_TOKEN", default="")

SECRET_KEY: str = env.str("SECRET_KEY", default="")
TELEGRAM_BOT_TOKEN: str = env.str("TELEGRAM_BOT_TOKEN", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
if not DEBUG:
    # Production has no safe default for these; every missing one is named in one message.
    require_all(
        SECRET_KEY=SECRET_KEY, TELEGRAM_BOT_TOKEN=TELEGRAM_BOT_TOKEN, ALLOWED_HOSTS=ALLOWED_HOSTS
    )
MIN_SECRET_KEY_LENGTH = 50
if not SECRET_KEY:
    SECRET_KEY = "django-insecure-dev-only-clickgame-key-" + "x" * 24
if not DEBUG and len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ConfigError(
        f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters when DEBUG is off."
    )
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with the backoffice site as admin.site (backoffice/sites.py).
    "backoffice.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "players",
    "leaderboard",
    "clicks",
    "telegram_auth",
    "bot",
    "backoffice",
    "miniapp",
]

MIDDLEWARE = [
    # Times and counts every answer for /metrics (core/metrics.py).
    "core.metrics.MetricsMiddleware",
    # Turns any error Django itself answers under /api/ into {"error", "detail"}.
    "core.errors.ApiJsonErrorsMiddleware",
    "core.middleware.TrustedProxyMiddleware",
    "core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "clickgame.urls"
WSGI_APPLICATION = "clickgame.wsgi.application"
ASGI_APPLICATION = "clickgame.asgi.application"

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
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL (psycopg 3) when DATABASE_URL says so.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server's threads write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, rate limits and the live leaderboard: Redis when REDIS_URL is set, else local memory.
REDIS_URL: str = env.str(
    "REDIS_URL",
    default="",
    pattern=r"(redis|rediss|unix)://.+",
    expects="a Redis URL such as redis://127.0.0.1:6379/0, or empty for the in-process cache",
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cg",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "clickgame",
        }
    }
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = None

# The model backend, with the dev superuser's known password fenced to loopback dev mode.
AUTHENTICATION_BACKENDS = ["core.devtools.DevAdminFencedBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request bodies: the JSON API takes small documents only; other routes (admin, webhook) 1 MiB.
MAX_REQUEST_BODY_BYTES: int = env.int("MAX_REQUEST_BODY_BYTES", default=16 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# X-Forwarded-For is believed only for this many reverse proxies in front of the app.
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)

# /metrics answers loopback clients, and anyone with `Authorization: Bearer <METRICS_TOKEN>`.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")

ADMIN_URL: str = env.str("ADMIN_URL", default="admin/").strip("/") + "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "telegram_auth.authentication.TelegramInitDataAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: every endpoint acts for a Telegram player, so a browsable page would show staff
    # nothing but 403 not_a_player. /docs and /redoc document and try the API instead.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "clickgame API",
    "DESCRIPTION": (
        "Telegram Mini App clicker. Authenticate with `Authorization: tma <initData>`; "
        'errors are `{"error": code, "detail": text}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Offline: no badge from Swagger's online validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The schema offers only what works: `tma` initData. A staff session reaches the API (403
    # not_a_player says why it cannot play) but is no way to use it, so it is not listed.
    "AUTHENTICATION_WHITELIST": ["telegram_auth.authentication.TelegramInitDataAuthentication"],
    "COMPONENT_SPLIT_REQUEST": True,
}

# Telegram Mini App authentication and bot.
# Seconds signed initData is accepted: a game session's length. A Mini App left open longer
# (overnight) signs in again by being reopened from Telegram.
INITDATA_MAX_AGE: int = env.int("INITDATA_MAX_AGE", default=6 * 60 * 60, minimum=1)
TELEGRAM_BOT_USERNAME: str = env.str("TELEGRAM_BOT_USERNAME", default="clickgame_bot")
TELEGRAM_API_BASE_URL: str = env.str("TELEGRAM_API_BASE_URL", default="")
TELEGRAM_WEBHOOK_SECRET: str = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
MIN_WEBHOOK_SECRET_LENGTH = 32
if TELEGRAM_WEBHOOK_SECRET and len(TELEGRAM_WEBHOOK_SECRET) < MIN_WEBHOOK_SECRET_LENGTH:
    raise ConfigError(
        f"TELEGRAM_WEBHOOK_SECRET must be at least {MIN_WEBHOOK_SECRET_LENGTH} characters "
        "(e.g. the output of `openssl rand -hex 32`)."
    )
TELEGRAM_WEBHOOK_URL: str = env.str("TELEGRAM_WEBHOOK_URL", default="")
TELEGRAM_BOT_MODE: str = env.str(
    "TELEGRAM_BOT_MODE", default="polling", choices=("polling", "webhook")
)
MINI_APP_URL: str = env.str("MINI_APP_URL", default="http://127.0.0.1:8000/")
MINI_APP_PATH: str = env.str("MINI_APP_PATH", default="/")
GODOT_BUILD_DIR: str = env.str("GODOT_BUILD_DIR", default=str(BASE_DIR / "godot_client" / "build"))

# Players: game names.
NAME_MODERATION: str = env.str("NAME_MODERATION", default="post", choices=("pre", "post"))
# django-ratelimit rates: count per period, the period optionally multiplied (5/h, 100/10m).
RATE_PATTERN = r"[1-9][0-9]*/[0-9]*[smhd]"
RATE_EXPECTS = "a rate such as 5/h or 120/m (count / s, m, h or d)"
NAME_CHANGE_RATE: str = env.str(
    "NAME_CHANGE_RATE", default="5/h", pattern=RATE_PATTERN, expects=RATE_EXPECTS
)

# Click sync.
MAX_CLICKS_PER_SYNC: int = env.int("MAX_CLICKS_PER_SYNC", default=1000, minimum=1)
MAX_CLICKS_PER_SECOND: int = env.int("MAX_CLICKS_PER_SECOND", default=20, minimum=1)
CLICK_BURST_SECONDS: int = env.int("CLICK_BURST_SECONDS", default=30, minimum=1)
CLICK_SYNC_RATE: str = env.str(
    "CLICK_SYNC_RATE", default="120/m", pattern=RATE_PATTERN, expects=RATE_EXPECTS
)
# Reads (/api/me, /api/leaderboard, /api/user/{id}) allowed per player; far above normal play.
API_READ_RATE: str = env.str(
    "API_READ_RATE", default="240/m", pattern=RATE_PATTERN, expects=RATE_EXPECTS
)
SYNC_BUDGET_RPS: int = env.int("SYNC_BUDGET_RPS", default=500, minimum=1)

# Security: strict in production, relaxed for the dev server.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    if not SECURE_SSL_REDIRECT:
        # The plain-HTTP trial (docs/deploy.md) opts out on purpose; `check --deploy
        # --fail-level WARNING` still fails on every other warning.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Logging: readable lines in development, one JSON object per line in production.
LOG_LEVEL: str = env.str(
    "LOG_LEVEL",
    default="INFO",
    pattern=r"(?i)DEBUG|INFO|WARNING|ERROR|CRITICAL",
    expects="DEBUG, INFO, WARNING, ERROR or CRITICAL",
).upper()
LOG_JSON: bool = env.bool("LOG_JSON", default=not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "readable": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "readable",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own config gives `django` a console handler too (with DEBUG on); records
        # reach the root handler by propagation, so each is printed once.
        "django": {"handlers": [], "level": LOG_LEVEL},
        "httpx": {"level": "WARNING"},
    },
}
