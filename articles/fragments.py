"""Rendered pieces of public pages, kept under the content version.

A story card, a story page's article and metadata, the section navigation and list
counts change only when content changes, and every content change moves the content
version (articles/caching.py). So each is rendered or counted once per version and
kept twice: in this process (a bounded dict, the fastest) and in the shared cache (so
other workers and hosts need not render it again). Nothing here is ever stale: keys
carry the version, and a version that moved makes this process drop its copy; shared
keys also carry the build identity, so no deploy reads what older code stored.

While the shared cache is unreachable there is no version, and nothing is kept.
"""

from django.core.cache import cache

from newsroom.cache import build_id

from .caching import LocalCache

local = LocalCache(max_bytes=4 * 2**20)

# Shared entries outlive a version only by this much; a new version never reads them.
SHARED_TIMEOUT = 3600


def shared_key(version, key):
    """The shared cache's key for `key`: under the content version and the build
    identity, so a deploy never reads what the previous code rendered or pickled."""
    return f"newsroom:fragment:{build_id()}:{version}:{key}"


def get_many(version, keys):
    """{key: value} for the keys found, this process's copy first."""
    if version is None or not keys:
        return {}
    found = {}
    missing = []
    for key in keys:
        value = local.get(version, key)
        if value is None:
            missing.append(key)
        else:
            found[key] = value
    if missing:
        shared = cache.get_many([shared_key(version, key) for key in missing])
        for key in missing:
            value = shared.get(shared_key(version, key))
            if value is not None:
                found[key] = value
                local.set(version, key, value)
    return found


def set_many(version, values):
    if version is None or not values:
        return
    for key, value in values.items():
        local.set(version, key, value)
    cache.set_many(
        {shared_key(version, key): value for key, value in values.items()},
        timeout=SHARED_TIMEOUT,
    )


def get_or_set(version, key, compute):
    """The value kept under `key`, computed (and kept) if missing."""
    found = get_many(version, [key])
    if key in found:
        return found[key]
    value = compute()
    set_many(version, {key: value})
    return value
