"""Health checks for load balancers and orchestrators.

- `/healthz`: liveness. The process answers; no database, no cache.
- `/readyz`: readiness. The database answers and every migration is applied.
  Migrations are checked once per process: after they are found applied, the check is
  skipped (a deploy migrates before it starts the new processes). The cache is checked
  too, but only reported: pages are served without it (articles/cache/backends.py), and a
  shared Redis that fails would otherwise take every host out of rotation at once.
  A cache failure gives `"status": "degraded"` with 200.

Both answer JSON and are never cached. `HealthCheckMiddleware` (first in
MIDDLEWARE) serves them before ALLOWED_HOSTS is consulted, because load balancers probe
hosts by IP address.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

_migrations_applied = False


def _json(payload, status):
    response = JsonResponse(payload, status=status)
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request):
    return _json({"status": "ok"}, 200)


def _check_database():
    global _migrations_applied
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return f"{len(plan)} migrations not applied"
        _migrations_applied = True
    return "ok"


def _check_cache():
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return "ok" if ok else "cache did not return what was stored"


def _failure(name, exc):
    logger.warning("readyz: %s unavailable: %s", name, exc.__class__.__name__)
    return exc.__class__.__name__


def readyz(request):
    checks = {}
    try:
        checks["database"] = _check_database()
    except Exception as exc:  # any failure means "not ready", with its reason
        checks["database"] = f"unavailable: {_failure('database', exc)}"
    try:
        checks["cache"] = _check_cache()
    except Exception as exc:  # reported, but a host without its cache still serves
        checks["cache"] = _failure("cache", exc)
    if checks["cache"] != "ok":
        checks["cache"] = f"degraded: {checks['cache']}"
    if checks["database"] != "ok":
        return _json({"status": "unavailable", "checks": checks}, 503)
    status = "ok" if checks["cache"] == "ok" else "degraded"
    return _json({"status": status, "checks": checks}, 200)
