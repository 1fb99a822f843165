"""Running the background worker in a test, and tasks for tests/test_tasks.py (a task's
path must be importable by the worker)."""

from unittest import mock

from django.core.cache import caches
from django.core.management import call_command

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
    """`manage.py worker --batch`: run every task that is due, then return.

    The worker closes "old" database connections between tasks; inside a test's
    transaction on PostgreSQL that would be the test's own connection.
    """
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("worker", batch=True, startup_delay=False, verbosity=0)
