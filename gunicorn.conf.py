"""gunicorn settings, every one read from the environment (see docs/operations.md, "gunicorn")."""

import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{_int('PORT', 8000)}"
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak can never take a host down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
# 0 lifts gunicorn's request-line limit (4094 by default, 8190 at most) so a long
# search (/search/?q= with 10,000 characters) reaches Django and gets a results page
# instead of a 414. gunicorn still caps a line at 1 MiB internally (http/message.py).
limit_request_line = _int("GUNICORN_LIMIT_REQUEST_LINE", 0)
limit_request_fields = _int("GUNICORN_LIMIT_REQUEST_FIELDS", 100)
limit_request_field_size = _int("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 8190)
# Only these proxies may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")  # "-": stdout
# One line per request, ending with the request id the app echoes (X-Request-ID) and
# the time taken in microseconds. No cookies and no Authorization header.
access_log_format = os.environ.get(
    "GUNICORN_ACCESS_LOG_FORMAT",
    '%(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_id=%({x-request-id}o)s us=%(D)s',
)
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Load the app once in the master so workers fork from a warm process.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def post_fork(server, worker):
    """Each worker opens its own database connection before its first reader arrives.

    The master closed the connections it used while warming up (newsroom/warmup.py);
    a database that is down now is no reason to fail: the first request retries.
    """
    import sys

    if "django.db" not in sys.modules:  # the app is not preloaded: nothing to do yet
        return
    from django.db import connections

    try:
        connections["default"].ensure_connection()
    except Exception as exc:
        worker.log.warning("Database not reachable at worker start: %s", exc)


def post_worker_init(worker):
    """A new worker answers one request of its own first (newsroom/warmup.py)."""
    import os
    import sys

    if "django.db" not in sys.modules or os.environ.get("NEWSROOM_WARM_UP", "1") == "0":
        return
    from newsroom.warmup import warm_worker

    warm_worker(worker.wsgi)
