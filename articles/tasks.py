"""Background work: one mechanism for the whole site.

django-tasks (the backport of Django 6's tasks framework) with its database backend:
enqueuing a task writes a row in the same transaction as the change that needs it, so
the work exists exactly when the change does, and `manage.py worker` (started by
`make run`; a systemd unit per host in production) runs it. Several hosts sharing
PostgreSQL share the queue: a worker locks the row it takes (SKIP LOCKED), so no task
runs twice at once.

Every task of this project is declared with `background_task`, which adds what the
framework leaves to us:

- **Retried**: a task that raises is enqueued again, later each time (30 s, 2 min, 8 min,
  …) up to `NEWSROOM["TASK_MAX_ATTEMPTS"]`; each failed attempt is logged with its
  traceback and kept as a failed result in the admin ("Task results").
- **Never lost**: a task left "running" by a worker that died is put back in the queue by
  the next worker that starts (`requeue_abandoned`).

Tasks must be idempotent (a retried or requeued task may run again after a partial run):
they look at the database and do what is still missing.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task

logger = logging.getLogger(__name__)

RETRY_DELAYS = (30, 120, 480, 1800)  # seconds before attempt 2, 3, 4, 5 and later


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after the `attempt`-th failed attempt (1-based)."""
    return timedelta(seconds=RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])


def background_task(function=None, *, priority: int = 0, queue_name: str = "default"):
    """Declare a background task that is retried with back-off when it raises.

    Call it like any django-tasks task: `make_renditions.enqueue(photo_id)`.
    """

    def decorate(function):
        @functools.wraps(function)
        def run(*args, _attempt: int = 1, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception:
                max_attempts = settings.NEWSROOM["TASK_MAX_ATTEMPTS"]
                if _attempt < max_attempts:
                    logger.exception(
                        "Task %s failed (attempt %d of %d); retrying",
                        function.__qualname__,
                        _attempt,
                        max_attempts,
                    )
                    retry = wrapped
                    if wrapped.get_backend().supports_defer:  # not the immediate backend
                        retry = wrapped.using(run_after=timezone.now() + retry_delay(_attempt))
                    retry.enqueue(*args, _attempt=_attempt + 1, **kwargs)
                else:
                    logger.exception(
                        "Task %s failed for good after %d attempts",
                        function.__qualname__,
                        _attempt,
                    )
                raise  # the result of this attempt is "failed", with its traceback

        wrapped = task(priority=priority, queue_name=queue_name)(run)
        return wrapped

    return decorate(function) if function is not None else decorate


def requeue_abandoned(now=None) -> int:
    """Put back in the queue the tasks whose worker died while running them."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NEWSROOM["TASK_ABANDONED_AFTER"])
    count = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).update(status=TaskResultStatus.READY, started_at=None)
    if count:
        logger.warning("Requeued %d task(s) abandoned by a worker that stopped", count)
    return count
