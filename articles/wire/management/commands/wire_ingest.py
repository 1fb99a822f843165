"""Watch the wire sources' folders: move new files into the database, as wire items.

Only receiving happens here (parsing, storing, moving the file); processing is a
background task run by `manage.py worker`. Run it under systemd: it waits on the
operating system's file events (articles/wire/watch.py), so a file is received within
a second of being complete, and sweeps every folder every --interval seconds besides;
or --once (one sweep) from cron or a test. Several hosts may run it on a shared folder:
a file received twice is the same guid and version, and changes nothing.
"""

import contextlib

from django.core.management.base import BaseCommand

from articles.wire import watch
from articles.wire.models import WireSource


class Command(BaseCommand):
    help = "Receive the files dropped in the wire sources' folders, as they land."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Sweep once and exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="Seconds between sweeps of every folder (files are received as they land).",
        )
        parser.add_argument(
            "--poll",
            action="store_true",
            help="Poll the folders instead of waiting for file events (network file systems).",
        )

    def handle(self, *args, once=False, interval=5.0, poll=False, **options):
        verbosity = options["verbosity"]

        def report(source, counts):
            if any(counts.values()) and verbosity:
                self.stdout.write(
                    f"{source}: {counts['received']} received, "
                    f"{counts['duplicates']} already had, {counts['rejected']} rejected"
                )

        if once:
            watch.sweep(WireSource.objects.filter(active=True).exclude(folder=""), report)
            return
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C (make run): stop quietly
            watch.run(interval=interval, poll=poll, report=report)
