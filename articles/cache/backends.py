"""Cache backends: Redis that survives an outage, and a file cache that writes cheaply.

ResilientRedisCache: Django's Redis cache, minus the outage: a cache that cannot
answer is a cache miss. Every public page reads the cache (tag versions, pages,
fragments). If Redis goes away, readers must still get pages, only slower: reads answer
"not found", writes are dropped and `incr` reports a missing key. A warning is logged
at most once every `WARN_EVERY` seconds per process. Timeouts (settings: OPTIONS
socket_connect_timeout / socket_timeout) keep a Redis that hangs from holding requests
for long.

Coming back is the delicate part: purges made during the outage were dropped, so Redis
returns holding pages and fragments stamped with tag versions that no longer describe
the content. So the first time a process reaches Redis again after failing to, it
first gives every key in `RENEW_AFTER_OUTAGE` a fresh value (the clock in
nanoseconds; articles/cache/tags.py registers its epoch, which every entry's stamp
holds, then its last purge's token, which tells workers to check their copies again):
nothing stored before the outage is read again.
"""

import functools
import logging
import time

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
RENEW_AFTER_OUTAGE = []  # in order
# While set, this process has failed to reach Redis and not yet run the hooks since.
_outage_since = None
RETRY_EVERY = 1.0
_last_retry = 0.0


def _note_failure():
    global _outage_since
    if _outage_since is None:
        _outage_since = time.monotonic()


def _recover_if_needed(cache):
    """After an outage, renew the epoch before this process reads anything.

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
    logger.warning("Cache reachable again; the cache epoch moved past the outage")


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
