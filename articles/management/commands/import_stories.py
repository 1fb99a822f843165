"""`manage.py import_stories`: import plain-text story files (see articles.importing)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from articles.importing import (
    ImportFailed,
    StoryImportError,
    find_story_files,
    import_stories,
)
from articles.models import Story


def split_names(value):
    """'a, b,,c' → ['a', 'b', 'c']"""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def parse_published_at(value):
    """An ISO 8601 time as an aware datetime; a naive one is in the site's time zone."""
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:  # Well formed but impossible, like month 13.
        parsed = None
    if parsed is None:
        raise CommandError(
            f"--published-at {value!r} is not a date and time. Use ISO 8601, for example "
            "2025-02-01T09:30 (site time zone) or 2025-02-01T09:30+09:00."
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class Command(BaseCommand):
    help = (
        "Import stories from plain-text files: related headlines ('- ' lines), then the "
        "headline, then one paragraph per line. Directories are searched for .txt files; "
        "a photo with the same name beside a file (story.jpg) becomes its lead photo. "
        "A file updates the story imported from a file of the same name before. Every "
        "file is checked first; if any is invalid, nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
        parser.add_argument(
            "--section", help="Section slug or name (default for new stories: News)."
        )
        parser.add_argument(
            "--tags", default="", help='Comma-separated tags, e.g. "Seoul,Economy".'
        )
        parser.add_argument(
            "--authors", default="", help='Comma-separated bylines, e.g. "Kim Min-ji,Lee Ha-eun".'
        )
        parser.add_argument(
            "--status",
            help=f"{' or '.join(Story.Status.values)} (default for new stories: draft).",
        )
        parser.add_argument(
            "--language",
            help="The stories' language, a BCP 47 tag such as ko or en-GB "
            "(default for new stories: the site's).",
        )
        parser.add_argument(
            "--published-at",
            help="Publication time, ISO 8601; without an offset it is in the site's time zone.",
        )

    def handle(self, *args, **options):
        status = options["status"]
        if status is not None and status not in Story.Status.values:
            raise CommandError(
                f"--status must be {' or '.join(Story.Status.values)}, not {status!r}."
            )
        published_at = None
        if options["published_at"] is not None:
            published_at = parse_published_at(options["published_at"])

        files = find_story_files(options["paths"])
        if not files:
            raise CommandError("No .txt files found in " + ", ".join(options["paths"]) + ".")
        verbosity = options["verbosity"]
        total = len(files)
        if verbosity >= 1 and total > 1:
            self.stdout.write(f"Checking {total} files…")

        def progress(done, count, name, story, created):
            if verbosity >= 1:
                action = "created" if created else "updated"
                self.stdout.write(f"[{done}/{count}] {name} … {action}")

        try:
            results = import_stories(
                files,
                section=options["section"],
                tags=split_names(options["tags"]),
                authors=split_names(options["authors"]),
                status=status,
                published_at=published_at,
                language=options["language"],
                progress=progress,
            )
        except ImportFailed as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from exc
        except StoryImportError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused the import: {exc}. Nothing was imported."
            ) from exc

        created = sum(1 for _, was_created in results if was_created)
        updated = len(results) - created
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(results)} {'story' if len(results) == 1 else 'stories'}: "
                f"{created} created, {updated} updated."
            )
        )
