"""Each worker's own copy of the pages and fragments it served most recently.

Reading an entry from this process's memory saves a round trip to the shared cache
and unpickling it. A copy is never trusted on its own: every entry carries the tag
versions it was rendered under, and each lookup checks them against the shared state
(articles/cache/tags.py), so a purge made by any worker on any host is seen here too.
"""

from collections import OrderedDict


def _size(value):
    """Roughly how many bytes `value` holds (text and bytes count; the rest is small)."""
    if isinstance(value, str | bytes):
        return len(value) + 50
    if isinstance(value, dict):
        return sum(_size(item) for item in value.values()) + 100
    if isinstance(value, list | tuple):
        return sum(_size(item) for item in value) + 50
    return 100


class LocalCache:
    """A bounded, least-recently-stored-first copy of entries in this process.

    Bounded by an approximate size, so a worker's memory stays flat however many
    pages it serves: the oldest entries go first.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.clear()

    def get(self, key):
        found = self.entries.get(key)
        return None if found is None else found[0]

    def set(self, key, value):
        size = _size(value)
        if size > self.max_bytes // 4:
            return  # one huge entry would push out everything else
        self.delete(key)
        while self.entries and self.size + size > self.max_bytes:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.size -= dropped
        self.entries[key] = (value, size)
        self.size += size

    def delete(self, key):
        previous = self.entries.pop(key, None)
        if previous is not None:
            self.size -= previous[1]

    def clear(self):
        self.entries, self.size = OrderedDict(), 0


# Per process; with gunicorn's default 2 × CPUs + 1 workers, a few MB per host.
pages = LocalCache(max_bytes=3 * 2**20)
fragments = LocalCache(max_bytes=4 * 2**20)
COPIES = (pages, fragments)
