"""Health checks for load balancers and orchestrators.

- `/healthz`: liveness. The process answers; no database, no cache.
- `/readyz`: readiness. The database and the cache answer and every migration is
  applied. Migrations are checked once per process: after they are found applied, the
  check is skipped (a deploy migrates before it starts the new processes).

Both answer JSON, 200 or 503, and are never cached. `HealthCheckMiddleware` (first in
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


def readyz(request):
    checks = {}
    for name, check in (("database", _check_database), ("cache", _check_cache)):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure means "not ready", with its reason
            logger.warning("readyz: %s unavailable: %s", name, exc.__class__.__name__)
            checks[name] = f"unavailable: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    return _json(
        {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
    )
