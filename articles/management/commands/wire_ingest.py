"""Watch the wire sources' folders: move new files into the database, as wire items.

Only receiving happens here (parsing, storing, moving the file); processing is a
background task run by `manage.py worker`. Run it in a loop under systemd, or with
--once from cron or a test. Several hosts may run it on a shared folder: a file
received twice is the same guid and version, and changes nothing.
"""

import time

from django.core.management.base import BaseCommand

from articles.wire.ingest import scan_folder
from articles.wire.models import WireSource


class Command(BaseCommand):
    help = "Receive the files dropped in the wire sources' folders."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Scan once and exit.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between scans.")

    def handle(self, *args, once=False, interval=5.0, **options):
        while True:
            for source in WireSource.objects.filter(active=True).exclude(folder=""):
                counts = scan_folder(source)
                if any(counts.values()) and options["verbosity"]:
                    self.stdout.write(
                        f"{source}: {counts['received']} received, "
                        f"{counts['duplicates']} already had, {counts['rejected']} rejected"
                    )
            if once:
                return
            time.sleep(interval)
