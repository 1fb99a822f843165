"""Rank every story's automatic related headlines again (articles.models.StoryRelation).

Run once after upgrading to a version that keeps them (migration 0006), and after
writing stories by other means than the admin, the importer or save() (raw SQL, a
restored dump). Saves, retags and publications keep them current by themselves.
"""

from django.core.management.base import BaseCommand

from articles.related import rebuild_related_stories


class Command(BaseCommand):
    help = "Rank every story's automatic related headlines (stories sharing its tags) again."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, verbosity, **options):
        def progress(done, total):
            if verbosity > 1:
                self.stdout.write(f"{done:,} of {total:,} stories")

        total = rebuild_related_stories(batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Ranked related stories for {total:,} stories."))
