"""Make the library photos' renditions again, after the rendition settings change.

manage.py rebuild_renditions           # only photos whose renditions are stale
manage.py rebuild_renditions --all     # every photo

Runs here, with progress, rather than through the worker (the same task, called).
"""

from django.core.management.base import BaseCommand

from articles import images
from articles.models import Photo
from articles.photos.tasks import make_photo_renditions


class Command(BaseCommand):
    help = "Rebuild library photo renditions (stale ones, or --all), reporting progress."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Rebuild every photo, not only stale ones."
        )

    def handle(self, *args, **options):
        photos = Photo.objects.only("pk", "original", "focal_x", "focal_y", "renditions")
        todo = [
            photo
            for photo in photos.order_by("pk")
            if options["all"] or not photo.renditions_are_current()
        ]
        total, rebuilt, missing = len(todo), [], []
        self.stdout.write(f"{total} of {photos.count()} photos to rebuild.")
        for number, photo in enumerate(todo, start=1):
            if not images.originals_storage.exists(photo.original.name):
                missing.append(photo)
                self.stderr.write(f"[{number}/{total}] photo {photo.pk}: original missing")
                continue
            # The task purges the pages of the stories using the photo.
            make_photo_renditions.call(photo.pk, force=True)
            rebuilt.append(photo.pk)
            self.stdout.write(f"[{number}/{total}] photo {photo.pk}: rebuilt")
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt {len(rebuilt)} photos.")
            + (f" {len(missing)} originals missing (see above)." if missing else "")
        )
