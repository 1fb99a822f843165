"""Make every lead photo's renditions again, after the rendition settings change.

manage.py rebuild_renditions           # only stories whose renditions are stale
manage.py rebuild_renditions --all     # every story with a photo
"""

from django.core.management.base import BaseCommand

from articles import images
from articles.cache import purge
from articles.models import Story


class Command(BaseCommand):
    help = "Rebuild lead photo renditions (stale ones, or --all), reporting progress."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Rebuild every photo, not only stale ones."
        )

    def handle(self, *args, **options):
        stories = Story.objects.exclude(lead_photo="").only(
            "pk", "lead_photo", "lead_photo_focal_x", "lead_photo_focal_y", "lead_photo_renditions"
        )
        todo = [
            story
            for story in stories.order_by("pk")
            if options["all"] or not story.renditions_are_current()
        ]
        total, rebuilt, missing = len(todo), [], []
        self.stdout.write(f"{total} of {stories.count()} photos to rebuild.")
        for number, story in enumerate(todo, start=1):
            if not images.originals_storage.exists(story.lead_photo.name):
                missing.append(story)
                self.stderr.write(f"[{number}/{total}] story {story.pk}: original missing")
                continue
            story.rebuild_renditions()
            rebuilt.append(story.pk)
            self.stdout.write(f"[{number}/{total}] story {story.pk}: rebuilt")
        if rebuilt:
            # The photos' new files, on each story's page and cards (an update(): no signal).
            purge({f"story:{pk}" for pk in rebuilt})
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt {len(rebuilt)} photos.")
            + (f" {len(missing)} originals missing (see above)." if missing else "")
        )
