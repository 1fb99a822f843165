"""List, and with --delete remove, photo files that no row refers to.

manage.py cleanup_media                   # dry run: list them, with a summary
manage.py cleanup_media --delete          # remove them (and empty folders)
manage.py cleanup_media --min-age 60      # only files older than an hour
"""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from articles import images
from articles.models import Author, Photo

DEFAULT_MIN_AGE_MINUTES = 10


class Command(BaseCommand):
    help = (
        "List photo files that no library photo or author refers to: renditions "
        f"({images.RENDITIONS_FOLDER}/) and portraits ({images.PORTRAITS_FOLDER}/) in the "
        f"default storage, originals ({images.ORIGINALS_FOLDER}/) in the originals storage. "
        "A file is referred to by a library photo (its original, any file of its "
        "renditions record) or an author's portrait. By default nothing is changed: "
        "each file is printed with its size, then a summary. With --delete they are "
        "removed, with the folders left "
        "empty (on a file-system storage). Works with any Django storage backend. Files "
        f"younger than --min-age minutes (default {DEFAULT_MIN_AGE_MINUTES}) are left "
        "alone: a save still in progress may have just written them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete",
            action="store_true",
            help="Remove the unreferenced files (default: only list them).",
        )
        parser.add_argument(
            "--min-age",
            type=float,
            default=DEFAULT_MIN_AGE_MINUTES,
            metavar="MINUTES",
            help="Leave files younger than this alone "
            f"(default {DEFAULT_MIN_AGE_MINUTES}; 0 considers every file).",
        )

    def handle(self, *args, delete=False, min_age=DEFAULT_MIN_AGE_MINUTES, **options):
        if min_age < 0:
            min_age = 0
        areas = [
            ("default", default_storage, images.RENDITIONS_FOLDER),
            ("default", default_storage, images.PORTRAITS_FOLDER),
            ("originals", images.originals_storage, images.ORIGINALS_FOLDER),
        ]
        # Files are listed before references are read: a file committed in between is
        # then seen as referenced, never the other way round.
        listed = [
            (label, storage, folder, list(_walk(storage, folder)))
            for label, storage, folder in areas
        ]
        referenced = referenced_files()
        cutoff = timezone.now() - timedelta(minutes=min_age)

        found = total_bytes = too_young = unknown_age = 0
        for label, storage, folder, names in listed:
            for name in names:
                if name in referenced:
                    continue
                if min_age:
                    try:
                        modified = storage.get_modified_time(name)
                    except NotImplementedError:
                        unknown_age += 1  # the backend cannot say: play safe
                        continue
                    except FileNotFoundError:
                        continue  # removed meanwhile
                    if modified > cutoff:
                        too_young += 1
                        continue
                try:
                    size = storage.size(name)
                except (FileNotFoundError, NotImplementedError):
                    size = 0
                found += 1
                total_bytes += size
                self.stdout.write(f"{label}: {name} ({_size(size)})")
                if delete:
                    storage.delete(name)
            if delete:
                _remove_empty_folders(storage, folder)

        verb = "Removed" if delete else "Found"
        summary = (
            f"{verb} {found} unreferenced file{'s' if found != 1 else ''}, "
            f"{_size(total_bytes)} ({total_bytes} bytes)."
        )
        if found and not delete:
            summary += " Nothing was changed: run again with --delete to remove them."
        if too_young:
            summary += f" {too_young} newer than {min_age:g} minutes left alone."
        if unknown_age:
            summary += (
                f" {unknown_age} left alone: the storage cannot tell their age "
                "(use --min-age 0 to include them)."
            )
        self.stdout.write(self.style.SUCCESS(summary) if not found or delete else summary)


def _size(size):
    return filesizeformat(size).replace("\xa0", " ")  # a console, not a web page


def referenced_files() -> set[str]:
    """Every file name a row refers to, in either storage (the names do not overlap)."""
    names = set()
    rows = Photo.objects.values_list("original", "renditions")
    for original, made in rows.iterator(chunk_size=500):
        if original:
            names.add(original)
        made = made or {}
        names.update(made.get("files", ()))
        # The frames name their files too: a record from before "files" was kept.
        for sizes in (made.get("lead") or [], made.get("card") or []):
            for size in sizes:
                names.update(entry[0] for entry in size.values())
        if made.get("social"):
            names.add(made["social"][0])
    names.update(
        Author.objects.exclude(photo="").values_list("photo", flat=True).iterator(chunk_size=500)
    )
    return names


def _walk(storage, folder):
    """Every file under `folder`, through the Storage API (listdir), any backend."""
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:  # nothing was ever stored there
        return
    for name in files:
        yield f"{folder}/{name}"
    for directory in directories:
        yield from _walk(storage, f"{folder}/{directory}")


def _remove_empty_folders(storage, folder):
    """Remove the empty folders under `folder` (file-system storages; it stays itself)."""
    try:
        directories, _ = storage.listdir(folder)
    except FileNotFoundError:
        return
    for directory in directories:
        path = f"{folder}/{directory}"
        _remove_empty_folders(storage, path)
        images.remove_empty_folder(storage, path)
