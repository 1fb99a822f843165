"""Cache backends: Redis that survives an outage, and a file cache that writes cheaply;
and the build identity that every cached page and fragment is keyed by.

build_id(): what code rendered a cached page. Pages and fragments outlive a process
(in the file cache and in Redis), so after a deploy that changed a template, a view or
the static files, keys under the content version alone would still serve what the old
code rendered until the next edit. The build identity is part of every page and
fragment key: `NEWSROOM_BUILD_ID` when the deploy sets one (a commit hash, say), else a
digest of the project's own Python files, templates, translations and the static files
manifest, computed once per process (a few milliseconds; gunicorn's master computes it
before forking, see newsroom/warmup.py).

ResilientRedisCache: Django's Redis cache, minus the outage: a cache that cannot
answer is a cache miss.

Every public page reads the cache (the content version, cached pages and fragments).
If Redis goes away, readers must still get pages, only slower: reads answer "not
found", writes are dropped and `incr` reports a missing key (callers then start a new
version). A warning is logged at most once every `WARN_EVERY` seconds per process.
Timeouts (settings: OPTIONS socket_connect_timeout / socket_timeout) keep a Redis that
hangs from holding requests for long.

Coming back is the delicate part: edits made during the outage could not move the
content version, so Redis returns holding pages and fragments stored under a version
that no longer describes the content. So the first time a process reaches Redis again
after failing to, it first gives every key in `RENEW_AFTER_OUTAGE` a fresh value (the
clock in nanoseconds; articles.caching registers its content version): nothing stored
before the outage is read again.
"""

import functools
import hashlib
import importlib
import logging
import os
import time
from pathlib import Path

import django
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("newsroom.cache")

WARN_EVERY = 10.0
_last_warning = 0.0


def _warn(operation, exc):
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY:
        _last_warning = now
        logger.warning("Cache unavailable (%s): %s; serving without it", operation, exc)


# Keys set to a new, larger number when this process reaches Redis again after an outage.
RENEW_AFTER_OUTAGE = set()
# While set, this process has failed to reach Redis and not yet run the hooks since.
_outage_since = None
RETRY_EVERY = 1.0
_last_retry = 0.0


def _note_failure():
    global _outage_since
    if _outage_since is None:
        _outage_since = time.monotonic()


def _recover_if_needed(cache):
    """After an outage, renew the version keys before this process reads anything.

    Tried at most once every RETRY_EVERY seconds while Redis stays away, so an outage
    costs each request one failed connection, not two.
    """
    global _outage_since, _last_retry
    if _outage_since is None:
        return
    now = time.monotonic()
    if now - _last_retry < RETRY_EVERY:
        raise ConnectionError("Redis unreachable (recovery pending)")
    _last_retry = now
    for key in RENEW_AFTER_OUTAGE:
        # The plain backend's set: raises while Redis is still away.
        RedisCache.set(cache, key, time.time_ns(), timeout=None)
    _outage_since = None
    logger.warning("Cache reachable again; content version moved past the outage")


def _tolerant(default=None, *, missing_key=False):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                _recover_if_needed(self)
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                _note_failure()
                _warn(method.__name__, exc)
                if missing_key:
                    raise ValueError("Cache unavailable") from exc
                return default() if callable(default) else default

        return wrapper

    return decorate


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            _recover_if_needed(self)
            return super().get(key, default, version)
        except (RedisError, OSError) as exc:
            _note_failure()
            _warn("get", exc)
            return default

    set = _tolerant()(RedisCache.set)
    add = _tolerant(False)(RedisCache.add)
    touch = _tolerant(False)(RedisCache.touch)
    delete = _tolerant(False)(RedisCache.delete)
    get_many = _tolerant(dict)(RedisCache.get_many)
    set_many = _tolerant(list)(RedisCache.set_many)
    delete_many = _tolerant()(RedisCache.delete_many)
    has_key = _tolerant(False)(RedisCache.has_key)
    incr = _tolerant(missing_key=True)(RedisCache.incr)
    decr = _tolerant(missing_key=True)(RedisCache.decr)
    clear = _tolerant(False)(RedisCache.clear)


class FileCache(FileBasedCache):
    """Django's file cache, without listing the whole directory on every write.

    The file cache is the embedded default that every gunicorn worker on a host shares.
    Django checks whether to cull (trim to MAX_ENTRIES) on every `set` by listing the
    directory: with thousands of pages and fragments that listing cost more than the
    write itself. This checks on every `CULL_EVERY`th write per process instead; the
    directory may then run a little over MAX_ENTRIES between checks.
    """

    CULL_EVERY = 50

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writes = 0

    def _cull(self):
        self._writes += 1
        if (self._writes - 1) % self.CULL_EVERY == 0:  # the first write, then every Nth
            super()._cull()


# Build identity

# What can change what a page looks like: code, templates, translations. (Static files
# count through the manifest, whose hashed names the pages print.)
SOURCE_SUFFIXES = (".py", ".html", ".txt", ".xml", ".mo")


def build_id():
    """The identity of the code that renders pages: part of every page and fragment key."""
    return settings.NEWSROOM_BUILD_ID or source_digest()


def source_roots():
    """The project's own folders: its apps, its settings and URL packages, its templates."""
    from django.apps import apps

    base = Path(settings.BASE_DIR).resolve()
    roots = {Path(app.path).resolve() for app in apps.get_app_configs()}
    for module in (settings.SETTINGS_MODULE, settings.ROOT_URLCONF):
        if module:  # no SETTINGS_MODULE when settings were configured in code
            roots.add(Path(importlib.import_module(module).__file__).resolve().parent)
    for engine in settings.TEMPLATES:
        roots.update(Path(folder).resolve() for folder in engine.get("DIRS", ()))
    # Installed packages (Django's admin, taggit, …) change only with a dependency
    # upgrade, which a deploy marks with NEWSROOM_BUILD_ID or Django's version below.
    return sorted(root for root in roots if root.is_relative_to(base) and root != base)


@functools.cache
def source_digest():
    """A digest of every source file under `source_roots()` and the static manifest."""
    digest = hashlib.sha256(django.get_version().encode())
    base = Path(settings.BASE_DIR).resolve()
    files = []
    for root in source_roots():
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [n for n in subfolders if n != "__pycache__" and n[0] != "."]
            files += [Path(folder, n) for n in names if n.endswith(SOURCE_SUFFIXES)]
    if settings.STATIC_ROOT:
        manifest = Path(settings.STATIC_ROOT, "staticfiles.json")
        if manifest.is_file():
            files.append(manifest.resolve())
    for path in sorted(set(files)):
        name = path.relative_to(base) if path.is_relative_to(base) else path
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
