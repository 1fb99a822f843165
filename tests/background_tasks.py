"""Tasks for tests/test_tasks.py: a task's path must be importable by the worker."""

from django.core.cache import caches

from articles.tasks import background_task


@background_task
def flaky(key, failures):
    """Fail the first `failures` runs, then succeed; count runs in the cache."""
    runs = caches["default"].get(key, 0) + 1
    caches["default"].set(key, runs)
    if runs <= failures:
        raise RuntimeError(f"run {runs} fails")
    return runs
