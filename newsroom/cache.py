"""Cache backends: Redis that survives an outage, and a file cache that writes cheaply.

ResilientRedisCache: Django's Redis cache, minus the outage: a cache that cannot
answer is a cache miss.

Every public page reads the cache (the content version, cached pages and fragments).
If Redis goes away, readers must still get pages, only slower: reads answer "not
found", writes are dropped and `incr` reports a missing key (callers then start a new
version). A warning is logged at most once every `WARN_EVERY` seconds per process.
Timeouts (settings: OPTIONS socket_connect_timeout / socket_timeout) keep a Redis that
hangs from holding requests for long.
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


def _tolerant(default=None, *, missing_key=False):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                _warn(method.__name__, exc)
                if missing_key:
                    raise ValueError("Cache unavailable") from exc
                return default() if callable(default) else default

        return wrapper

    return decorate


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as exc:
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
        if self._writes % self.CULL_EVERY == 1:
            super()._cull()
