"""Newsroom settings: one module, every knob read from the environment.

Local use needs nothing set. Production sets at least DJANGO_DEBUG=0 (the default),
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and usually DATABASE_URL and REDIS_URL;
docs/operations.md lists every variable.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

# Stdlib only (no Django): the allow-list of embed providers, for frame-src below.
from articles.embeds import frame_sources

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_float(name, default):
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. Set it to a long random "
            "string, for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'. "
            "For local development, `make run` creates one in var/secret_key."
        )
    # Debug mode only: a visibly unsafe key, never used by a production process.
    SECRET_KEY = "django-insecure-debug-only-key"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # django.contrib.admin, with a site whose autocomplete and "view on site" ask who
    # is looking (articles/admin_site.py).
    "articles.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "taggit",
    "reversion",
    "django_prose_editor",
    "adminsortable2",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    # The photo library (articles/photos/): below the story core, which uses it.
    "articles.photos.apps.PhotosConfig",
    "articles",
    # The front-page desk: fronts, pins, the breaking-news banner (above the core).
    "articles.fronts",
    # Live coverage (articles/live/), above the story core.
    "articles.live.apps.LiveConfig",
    # The wire desk (articles/wire/): above the story core, which never imports it.
    "articles.wire.apps.WireConfig",
    # The content API and syndication out (articles/api/, django-ninja; "ninja" for the
    # docs' own static files: nothing is loaded from a third party).
    "ninja",
    "articles.api.apps.ApiConfig",
    # `manage.py load_demo`: every desk's demo content (last: it imports the desks).
    "articles.demo",
]

MIDDLEWARE = [
    # These two come first: /healthz and /readyz answer load balancers that probe by IP,
    # before anything checks the Host header (newsroom/middleware.py).
    "newsroom.middleware.RequestIdMiddleware",
    "newsroom.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cached public pages are answered here, before sessions, CSRF, auth, CSP and axes
    # (articles/cache/pages.py); the headers those add are stored with each page.
    "articles.cache.PageCacheMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Bodies are refused before CSRF (or anything) reads them: 405 on public URLs, 413
    # past the upload limit (newsroom/uploads.py). After the Host check above.
    "newsroom.uploads.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsroom.middleware.NewsroomCSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "newsroom.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "articles.context_processors.newsroom",
                # The breaking-news banner above every public page (articles/fronts/).
                "articles.fronts.context_processors.breaking_banner",
            ],
        },
    },
]

# Database: an SQLite file beside the project unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets gunicorn workers read while one writes; IMMEDIATE avoids lock upgrades
    # that fail with "database is locked" under concurrent writers. Each worker keeps
    # its connection (CONN_MAX_AGE, as for PostgreSQL): opening the file and running
    # the PRAGMAs again was a good part of every request. Restores stop gunicorn first.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# "default" holds pages and fragments, and culls (or, on Redis, evicts) as it fills;
# "state" holds the keys that keep it correct, the cache tags' versions and the next
# scheduled publication (articles/cache/tags.py), where nothing culls them.
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down is a cache miss, never an error page (articles/cache/backends.py).
            "BACKEND": "articles.cache.backends.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
            "OPTIONS": {
                "socket_connect_timeout": env_float("REDIS_CONNECT_TIMEOUT", 0.5),
                "socket_timeout": env_float("REDIS_TIMEOUT", 0.5),
            },
        }
    }
    # The same database: the state keys are the ones without a TTL, which Redis's
    # `maxmemory-policy volatile-lru` never evicts (pages and fragments all have one).
    CACHES["state"] = {**CACHES["default"]}
elif os.environ.get("NEWSROOM_LOCAL_CACHE", "file") == "none":
    # No cache at all (diagnosis, benchmarks): every request is built from the database.
    CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
        for alias in ("default", "state")
    }
elif os.environ.get("NEWSROOM_LOCAL_CACHE", "file") == "memory":
    # One process only (the test suite): gunicorn's workers would not share it.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("NEWSROOM_LOCAL_CACHE_ENTRIES", 5000)},
        },
        "state": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom-state",
            "OPTIONS": {"MAX_ENTRIES": 10_000_000},
        },
    }
else:
    # The embedded default: a cache directory every gunicorn worker on this host
    # shares, so publishing through one worker invalidates pages in all of them.
    _CACHE_DIR = Path(os.environ.get("NEWSROOM_CACHE_DIR", str(BASE_DIR / "var" / "cache")))
    CACHES = {
        "default": {
            # Django's file cache, culling now and then rather than on every write.
            "BACKEND": "articles.cache.backends.FileCache",
            "LOCATION": str(_CACHE_DIR),
            "OPTIONS": {"MAX_ENTRIES": env_int("NEWSROOM_LOCAL_CACHE_ENTRIES", 5000)},
        },
        # A folder of its own (culling lists only its own folder's files): the epoch,
        # the next scheduled publication and one version per cache tag (a few per
        # story, section, tag and author), far below MAX_ENTRIES, so never culled.
        "state": {
            "BACKEND": "articles.cache.backends.FileCache",
            "LOCATION": str(_CACHE_DIR / "state"),
            "OPTIONS": {"MAX_ENTRIES": 10_000_000},
        },
    }

# The identity of the code that renders pages, part of every cached page's and
# fragment's key, so a deploy never serves what the previous code rendered. Unset: a
# digest of the project's code and templates, computed at start-up (articles/cache/keys.py).
NEWSROOM_BUILD_ID = os.environ.get("NEWSROOM_BUILD_ID", "")

# Whole-page cache for anonymous readers (articles/cache/): SECONDS in the cache
# above; MAX_AGE, S_MAXAGE and STALE_WHILE_REVALIDATE in Cache-Control for browsers
# and CDNs. None outlives the next scheduled publication.
PAGE_CACHE = {
    "ENABLED": env_bool("NEWSROOM_PAGE_CACHE", True),
    "SECONDS": env_int("NEWSROOM_PAGE_CACHE_SECONDS", 300),
    # Browsers revalidate every time (a cheap 304 from the page cache), so a reader who
    # reloads sees a story the moment it is published; a CDN may keep S_MAXAGE.
    "MAX_AGE": env_int("NEWSROOM_HTTP_MAX_AGE", 0),
    "S_MAXAGE": env_int("NEWSROOM_HTTP_S_MAXAGE", 60),
    "STALE_WHILE_REVALIDATE": env_int("NEWSROOM_HTTP_STALE_WHILE_REVALIDATE", 30),
    # A CDN in front purges by the Surrogate-Key / Cache-Tag headers: this callable
    # (dotted path) gets the sorted list of tags purged, after the change commits
    # ("site" for everything). Empty: nothing to tell.
    "PURGE_HOOK": os.environ.get("NEWSROOM_CACHE_PURGE_HOOK", ""),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The newsroom's language and zone: times are stored in UTC and shown in this zone.
LANGUAGE_CODE = os.environ.get("NEWSROOM_LANGUAGE", "en")
TIME_ZONE = os.environ.get("NEWSROOM_TIME_ZONE", "Asia/Seoul")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Single-host deployments serve uploaded media through Django (see articles.media);
# set SERVE_MEDIA=0 when a web server or object storage serves MEDIA_URL instead.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)

# Uploaded originals keep their camera metadata (a source's location, say), so they
# live outside MEDIA_ROOT where no URL reaches them; readers get renditions made from
# them (articles/images.py) in the default storage. Either storage can be any Django
# backend: DJANGO_STORAGE_DEFAULT / DJANGO_STORAGE_ORIGINALS take a JSON object such as
# {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "…"}}
# (docs/operations.md, "Photos and media").
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "originals"))


def env_storage(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        storage = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(storage, dict) or "BACKEND" not in storage:
        raise ImproperlyConfigured(f'{name} must be a JSON object with a "BACKEND" key.')
    return storage


STORAGES = {
    "default": env_storage(
        "DJANGO_STORAGE_DEFAULT", {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "originals": env_storage(
        "DJANGO_STORAGE_ORIGINALS",
        {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
        },
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600

FILE_UPLOAD_PERMISSIONS = 0o644
# Counts what a multipart body really delivers and stops it past the limit before the
# temporary file handler writes it (newsroom/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "newsroom.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# HTTPS. `make run` serves plain http on 127.0.0.1, so all of this is off unless the
# environment turns it on; production sets it (docs/operations.md, "Deploying").
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Cookies only over HTTPS: on by default whenever http is redirected to https.
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # the admin reads the token from its forms, never the cookie
# The proxies whose X-Forwarded-* headers are believed: the same list gunicorn reads
# (gunicorn.conf.py), addresses or networks, "*" for any. Used for the log-in lock-out.
TRUSTED_PROXIES = env_list("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets (and strips from clients) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp). Public pages: our own scripts, styles, images
# and nothing inline (JSON-LD is a data block, which script-src does not govern).
_CSP_COMMON = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Story embeds (articles/embeds.py): exactly the allow-listed providers' iframe
        # hosts, loaded only when a reader clicks; the admin keeps default-src.
        "frame-src": frame_sources(),
    },
}
# The admin only (newsroom.middleware.NewsroomCSPMiddleware): nothing inline runs but
# what carries this response's nonce. django-prose-editor's import map (an inline
# script) gets it from the middleware, and the editor's base styles (which Tiptap would
# otherwise inject without one) from templates/admin/change_form.html. Style
# attributes are not allowed either: the admin's widgets set styles through the DOM.
NEWSROOM_ADMIN_CSP = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
    },
}

# Admin log-in: django-axes locks out a username from an address after repeated
# failures, until the cool-off passes (state in the database, so shared by all hosts).
AUTHENTICATION_BACKENDS = [
    "newsroom.auth.LockoutBackend",  # django-axes, see newsroom/auth.py
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("DJANGO_AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Ours (newsroom.auth.LockoutHandler): failures from one address across usernames.
AXES_IP_FAILURE_LIMIT = env_int("DJANGO_AXES_IP_FAILURE_LIMIT", 20)
AXES_HANDLER = "newsroom.auth.LockoutHandler"
# The client's address: behind a proxy, from its X-Forwarded-For (newsroom/auth.py).
AXES_CLIENT_IP_CALLABLE = "newsroom.auth.client_ip_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes_lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "newsroom.auth.lockout_username"

ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

# What the public site calls itself.
NEWSROOM = {
    "SITE_NAME": os.environ.get("NEWSROOM_SITE_NAME", "The Newsroom"),
    "TAGLINE": os.environ.get("NEWSROOM_TAGLINE", "Independent reporting from Seoul and beyond"),
    "BASE_URL": os.environ.get("NEWSROOM_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
    "STORIES_PER_PAGE": env_int("NEWSROOM_STORIES_PER_PAGE", 12),
    "RELATED_HEADLINES_AUTO": env_int("NEWSROOM_RELATED_HEADLINES_AUTO", 5),
}
# Who publishes, for structured data (schema.org publisher) and social cards: a static
# path or an absolute URL for the logo, with its size in pixels.
NEWSROOM |= {
    "PUBLISHER_NAME": os.environ.get("NEWSROOM_PUBLISHER_NAME", NEWSROOM["SITE_NAME"]),
    "PUBLISHER_LOGO": os.environ.get("NEWSROOM_PUBLISHER_LOGO", "img/logo.png"),
    "PUBLISHER_LOGO_WIDTH": env_int("NEWSROOM_PUBLISHER_LOGO_WIDTH", 512),
    "PUBLISHER_LOGO_HEIGHT": env_int("NEWSROOM_PUBLISHER_LOGO_HEIGHT", 512),
}
# The image of a story without a lead photo, in its JSON-LD and social cards (so every
# story can show as a rich result): a static path or an absolute URL, with its size.
# The default is the site's own card, static/img/share-default.png.
NEWSROOM |= {
    "DEFAULT_SHARE_IMAGE": os.environ.get("NEWSROOM_DEFAULT_SHARE_IMAGE", "img/share-default.png"),
    "DEFAULT_SHARE_IMAGE_WIDTH": env_int("NEWSROOM_DEFAULT_SHARE_IMAGE_WIDTH", 1200),
    "DEFAULT_SHARE_IMAGE_HEIGHT": env_int("NEWSROOM_DEFAULT_SHARE_IMAGE_HEIGHT", 675),
}

# The editorial workflow (articles/workflow.py): the story form's publication checklist
# flags longer headlines, and with READINESS_BLOCKS_PUBLISHING a story whose checklist
# has open items cannot be published (form or bulk action) until they are done.
NEWSROOM |= {
    "HEADLINE_MAX_CHARS": env_int("NEWSROOM_HEADLINE_MAX_CHARS", 110),
    "READINESS_BLOCKS_PUBLISHING": env_bool("NEWSROOM_READINESS_BLOCKS_PUBLISHING", False),
}

# Photos (articles/images.py). Uploads above these limits, or below the minimum size
# for a lead photo, are refused with a form error. Renditions: widths for the story
# page's lead photo and for cards (16:10), never upscaled, each in the modern format
# (avif or webp) and JPEG; `manage.py rebuild_renditions` remakes them all after a change.
# PHOTO_ALT_REQUIRED makes a missing alt text on a published story's photo a form
# error rather than a checklist warning.
NEWSROOM |= {
    "PHOTO_MAX_BYTES": env_int("NEWSROOM_PHOTO_MAX_BYTES", 20 * 1024 * 1024),
    "PHOTO_MAX_PIXELS": env_int("NEWSROOM_PHOTO_MAX_PIXELS", 50_000_000),
    "PHOTO_MIN_WIDTH": env_int("NEWSROOM_PHOTO_MIN_WIDTH", 640),
    "PHOTO_MIN_HEIGHT": env_int("NEWSROOM_PHOTO_MIN_HEIGHT", 360),
    "PORTRAIT_MIN_SIZE": env_int("NEWSROOM_PORTRAIT_MIN_SIZE", 96),
    "PHOTO_WIDTHS": [int(w) for w in env_list("NEWSROOM_PHOTO_WIDTHS", "480,960,1600")],
    "PHOTO_CARD_WIDTHS": [int(w) for w in env_list("NEWSROOM_PHOTO_CARD_WIDTHS", "400,800,1200")],
    "PHOTO_MODERN_FORMAT": os.environ.get("NEWSROOM_PHOTO_MODERN_FORMAT", "avif"),
    "PHOTO_JPEG_QUALITY": env_int("NEWSROOM_PHOTO_JPEG_QUALITY", 82),
    "PHOTO_MODERN_QUALITY": env_int("NEWSROOM_PHOTO_MODERN_QUALITY", 60),
    "PHOTO_ALT_REQUIRED": env_bool("NEWSROOM_PHOTO_ALT_REQUIRED", False),
    # A request body may be one photo at PHOTO_MAX_BYTES plus this much form around it;
    # a larger one is refused with 413 before it is read (newsroom/uploads.py).
    "UPLOAD_FORM_OVERHEAD_BYTES": env_int("NEWSROOM_UPLOAD_FORM_OVERHEAD_BYTES", 1024 * 1024),
    # The photo library (articles/photos/): files one bulk upload may send, and whether
    # a photo past its usage rights' end date disappears from public pages.
    "PHOTO_BULK_MAX_FILES": env_int("NEWSROOM_PHOTO_BULK_MAX_FILES", 30),
    "HIDE_EXPIRED_PHOTOS": env_bool("NEWSROOM_HIDE_EXPIRED_PHOTOS", False),
    # The worker's image work (fingerprints, renditions) runs in a thread of its own at
    # this niceness (0: as the worker), its AVIF encoder on this many threads (0: one
    # per CPU), so that editors' requests keep a core while a card of photos is made.
    "PHOTO_WORKER_NICE": env_int("NEWSROOM_PHOTO_WORKER_NICE", 19),
    "PHOTO_ENCODER_THREADS": env_int("NEWSROOM_PHOTO_ENCODER_THREADS", 1),
}
if NEWSROOM["PHOTO_MODERN_FORMAT"] not in {"avif", "webp"}:
    raise ImproperlyConfigured("NEWSROOM_PHOTO_MODERN_FORMAT must be avif or webp.")

# Logs: stdout, one line per event (a stack trace follows an error), each with the
# request id (newsroom/logging.py). Request headers, cookies and bodies are never logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "newsroom.logging.RequestIdFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
    },
}

# Live coverage (articles/live/): updates shown on a live story's page before "Show
# older updates", and how often readers' pages ask for new ones (seconds; each poll
# waits a random extra up to LIVE_POLL_JITTER so thousands of pages do not ask at once).
NEWSROOM |= {
    "LIVE_UPDATES_PER_PAGE": env_int("NEWSROOM_LIVE_UPDATES_PER_PAGE", 20),
    "LIVE_POLL_SECONDS": env_int("NEWSROOM_LIVE_POLL_SECONDS", 15),
    "LIVE_POLL_JITTER": env_int("NEWSROOM_LIVE_POLL_JITTER", 15),
}

# Background work (articles/tasks.py): django-tasks with its database backend, so a task
# is a row written in the same transaction as the change that needs it, and nothing
# is lost when a worker dies. `make run` starts `manage.py worker` beside gunicorn;
# hosts sharing PostgreSQL share the queue. TASKS_BACKEND=immediate runs tasks inside
# the request (no worker at all: a laptop, or tests that do not test the queue).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[os.environ.get("TASKS_BACKEND", "database")],
        "QUEUES": [],
    }
}
NEWSROOM |= {
    # A task still "running" this long after it started lost its worker (killed,
    # host gone): the next worker to start puts it back in the queue.
    "TASK_ABANDONED_AFTER": env_int("NEWSROOM_TASK_ABANDONED_AFTER", 15 * 60),
    # Attempts per task before it stays failed (shown in the admin's task results).
    "TASK_MAX_ATTEMPTS": env_int("NEWSROOM_TASK_MAX_ATTEMPTS", 5),
}
NEWSROOM |= {
    # The wire desk's push endpoint (articles/wire/views.py): items a source may push
    # per minute before it is answered 429.
    "WIRE_PUSH_PER_MINUTE": env_int("NEWSROOM_WIRE_PUSH_PER_MINUTE", 120),
    # Wrong tokens a client address may send a minute (its own budget, apart from the
    # source's, so nobody can use up an agency's by guessing) before it is answered 429.
    "WIRE_BAD_TOKENS_PER_MINUTE": env_int("NEWSROOM_WIRE_BAD_TOKENS_PER_MINUTE", 20),
    # Watched folders live under this one (a source names a folder inside it): an admin
    # form must not be a way to read, or move, the server's other files.
    "WIRE_ROOT": Path(os.environ.get("NEWSROOM_WIRE_ROOT", str(BASE_DIR / "var" / "wire"))),
}
