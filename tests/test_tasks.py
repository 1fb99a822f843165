"""Background work (articles/tasks.py): queued in the database, retried, never lost."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from articles.tasks import requeue_abandoned, retry_delay
from tests.background_tasks import flaky, run_worker

pytestmark = pytest.mark.django_db


def make_due(queryset):
    """Move retries scheduled for later to now, as if the back-off had passed."""
    queryset.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


def test_enqueued_task_waits_in_the_database_until_the_worker_runs_it():
    caches["default"].delete("ok")
    result = flaky.enqueue("ok", 0)
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.READY
    assert caches["default"].get("ok") is None  # nothing ran in the request

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1


def test_failing_task_is_retried_later_and_each_failure_is_kept():
    caches["default"].delete("flaky")
    flaky.enqueue("flaky", 2)

    run_worker()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert "run 1 fails" in failed.traceback
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    # The retry waits its back-off: a worker running now does not take it.
    assert retry.run_after >= timezone.now() + retry_delay(1) - timedelta(seconds=5)
    run_worker()
    assert caches["default"].get("flaky") == 1

    make_due(DBTaskResult.objects)
    run_worker()
    make_due(DBTaskResult.objects)
    run_worker()

    assert caches["default"].get("flaky") == 3
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "FAILED", "SUCCESSFUL"]


@override_settings(NEWSROOM={"TASK_MAX_ATTEMPTS": 3, "TASK_ABANDONED_AFTER": 900})
def test_task_that_keeps_failing_stops_after_the_last_attempt_and_stays_reported():
    caches["default"].delete("broken")
    flaky.enqueue("broken", 99)
    for _ in range(5):
        make_due(DBTaskResult.objects)
        run_worker()

    assert caches["default"].get("broken") == 3
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 3
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_task_abandoned_by_a_dead_worker_is_requeued_and_run():
    caches["default"].delete("abandoned")
    result = flaky.enqueue("abandoned", 0)
    # A worker took it and died: the row says "running" since long ago.
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    recent = flaky.enqueue("recent", 0)
    DBTaskResult.objects.filter(id=recent.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )

    run_worker()  # the worker requeues what was abandoned, then runs it

    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.SUCCESSFUL
    assert caches["default"].get("abandoned") == 1
    # A task another worker is running right now is left alone.
    assert DBTaskResult.objects.get(id=recent.id).status == TaskResultStatus.RUNNING
    assert requeue_abandoned() == 0
