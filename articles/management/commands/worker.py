"""`manage.py worker`: the background worker (articles/tasks.py), one per host.

django-tasks-db's `db_worker`, processing every queue, that first puts back in the queue
the tasks a dead worker left "running".
"""

from django_tasks_db.management.commands import db_worker

from articles.tasks import requeue_abandoned


class Command(db_worker.Command):
    help = "Run the background worker (every queue); requeue tasks abandoned by a dead worker"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")

    def handle(self, *args, **options):
        requeue_abandoned()
        return super().handle(*args, **options)
