"""The wire's folder watcher: the operating system tells us when a file lands.

`manage.py wire_ingest` runs `run()`. It watches the active sources' folders with
watchfiles (inotify on Linux, the native events elsewhere), so a FLASH is on the Wire
within a second of its file being complete instead of waiting for the next scan:

- **Complete** means written and closed, or renamed into the folder (agencies usually
  write to a temporary name and rename). watchfiles reports both as added or modified
  (inotify's close_write itself is not passed on), so after an event the file must keep
  its size and time for STEADY_SECONDS, and a file younger than the old settle time
  (ingest.SETTLE_SECONDS) must also parse: a half-written one does not, and waits for
  its next event, or for the sweep to refuse it once it has stopped changing. An item
  naming a picture dropped beside it waits (as long) for the picture to be there too.
- **Confinement and idempotence** are scan_folder's own (articles/wire/ingest.py): only
  folders inside NEWSROOM_WIRE_ROOT, no symbolic links, each guid and version once.
- **A sweep** of every folder (the old rule: untouched for SETTLE_SECONDS) runs at
  start and every `interval` seconds: files that landed while nothing watched, events
  the kernel dropped, sources added or moved since. Where events are not available
  (a network file system, or the kernel refuses another watch), watchfiles polls.
"""

import logging
import os
import threading
import time
from pathlib import Path

from watchfiles import Change, watch

from ..importing import PHOTO_SUFFIXES
from .formats import MAX_BYTES, WireFormatError, parse
from .ingest import SETTLE_SECONDS, dropped_name, scan_folder
from .models import WireSource

logger = logging.getLogger(__name__)
# watchfiles logs every batch of changes at INFO; the counts the command prints say more.
logging.getLogger("watchfiles.main").setLevel(logging.WARNING)

# A file whose size and time stay the same this long after its last event is complete
# (far less than SETTLE_SECONDS: a writer that pauses longer is caught by the parse).
STEADY_SECONDS = 0.1
# A temporary name's usual endings: such a file is waiting for its rename.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", ".crdownload", ".swp")
# How often watchfiles hands control back with no event (stop, sweep and source checks).
TICK_MS = 250


def watched_folders():
    """{folder: [sources]} for the active sources whose folder is inside the wire root
    and exists (resolved paths, as the file events name them)."""
    folders = {}
    for source in WireSource.objects.filter(active=True).exclude(folder=""):
        path = source.folder_path()
        if path is not None and path.is_dir():
            folders.setdefault(path, []).append(source)
    return folders


def _signature(folders):
    return {
        path: [(source.pk, source.format) for source in group] for path, group in folders.items()
    }


def _files(folder):
    """{name: (size, mtime_ns)} of the files scan_folder would read in `folder`."""
    found = {}
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        found[entry.name] = (stat.st_size, stat.st_mtime_ns)
    return found


def _looks_complete(source, path, stat, settled):
    """Whether a young item file that stopped changing is whole: not a temporary name,
    not empty, it parses (a half-written JSON or XML file never does), and each picture
    it names in the folder is there and settled too (else it is taken without it)."""
    if path.name.lower().endswith(PARTIAL_SUFFIXES) or stat.st_size == 0:
        return False
    if stat.st_size > MAX_BYTES:
        return True  # refused unread, whatever else is still coming
    try:
        copy = parse(source.format, path.read_bytes(), path.name)
    except WireFormatError:
        return False
    for picture in copy.pictures:
        names = [dropped_name(rendition["href"]) for rendition in picture["renditions"]]
        files = [path.parent / name for name in names if name]
        if files and not any(_is_settled_file(file, settled) for file in files):
            return False  # its picture is still on its way
    return True


def _is_settled_file(path, settled):
    try:
        return not path.is_symlink() and path.is_file() and settled(path, path.stat())
    except FileNotFoundError:
        return False


def receive_landed(folder, sources, report):
    """Receive the files of `folder` that an event said have landed and are complete."""
    before = _files(folder)
    if not before:
        return
    time.sleep(STEADY_SECONDS)
    for source in sources:

        def settled(path, stat, source=source):
            if before.get(path.name) != (stat.st_size, stat.st_mtime_ns):
                return False  # still being written: its next event brings it back
            if time.time() - stat.st_mtime >= SETTLE_SECONDS:
                return True
            if path.suffix.lower() in PHOTO_SUFFIXES:
                return True  # a picture: steady is all it can show (the worker checks it)
            return _looks_complete(source, path, stat, settled)

        _scan(source, report, settled=settled)


def _scan(source, report, **options):
    try:
        report(source, scan_folder(source, **options))
    except FileNotFoundError as error:
        # Another host watching the same folder took the file first (it is received
        # once all the same); the rest of the folder waits for the next look.
        logger.info("Wire folder of %s: %s went while being read.", source, error.filename)


def sweep(sources, report):
    """Receive what has settled by the old rule in each source's folder."""
    for source in sources:
        _scan(source, report)


def _sources(folders):
    return [source for group in folders.values() for source in group]


def run(*, interval=5.0, poll=False, stop=None, report=None, ready=None):
    """Watch and receive until `stop` (a threading.Event) is set, or forever.

    `report(source, counts)` is told what each look received; `ready` (an Event) is set
    once the folders are being watched."""
    stop = stop or threading.Event()
    report = report or (lambda source, counts: None)
    while not stop.is_set():
        folders = watched_folders()
        sweep(_sources(folders), report)
        if not folders:
            if ready is not None:
                ready.set()
            stop.wait(interval)
            continue
        try:
            _watch(folders, interval, poll, stop, report, ready)
        except FileNotFoundError:
            stop.wait(0.1)  # a folder went away while being watched: look again
        except NoFileEvents as error:
            if poll:
                raise
            # e.g. the kernel's inotify limits: polling is slower but still within 1 s.
            logger.warning("Wire folders: no file events (%s); polling instead.", error)
            poll = True


class NoFileEvents(Exception):
    """watchfiles could not watch the folders (a RuntimeError or OSError of its own)."""


def _watch(folders, interval, poll, stop, report, ready):
    """Receive on each event until the next sweep finds the sources' folders changed."""
    next_sweep = time.monotonic() + interval
    changes_seen = watch(
        *folders,
        watch_filter=None,
        step=50,
        debounce=400,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        stop_event=stop,
        recursive=False,
        force_polling=True if poll else None,
        poll_delay_ms=200,
    )
    while True:
        try:
            changes = next(changes_seen, None)
        except FileNotFoundError:
            raise
        except (OSError, RuntimeError) as error:
            raise NoFileEvents(error) from error
        if changes is None:
            return  # stopped
        if ready is not None:
            ready.set()  # the first yield comes once the watches are in place
        landed = {Path(name).parent for change, name in changes if change != Change.deleted}
        for folder in landed:
            if folder in folders:
                receive_landed(folder, folders[folder], report)
        if time.monotonic() >= next_sweep:
            sweep(_sources(folders), report)
            if _signature(watched_folders()) != _signature(folders):
                return  # a source added, moved or switched off: watch the new set
            next_sweep = time.monotonic() + interval
