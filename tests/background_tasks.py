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


def run_worker():
    """Run every task that is due, as `manage.py worker` does, in the test's transaction.

    The worker calls close_old_connections() before each task; inside a test's
    transaction that closes a PostgreSQL connection (SQLite's in-memory one is never
    closed), so it is skipped here.
    """
    from unittest import mock

    from django.core.management import call_command

    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("worker", batch=True, startup_delay=False, verbosity=0)
