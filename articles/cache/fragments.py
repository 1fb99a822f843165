"""Rendered pieces of public pages, kept until what they show changes.

A story card, a story page's article and metadata, the section navigation, a list's
length and the stories on each of its pages are rendered or counted once and kept
twice: in this process (articles/cache/local.py, the fastest) and in the shared cache
(so other workers and hosts need not render them again). Each carries the cache tags
of what it shows (a card: its story, section and authors) with their versions, and is
used only while they still match (articles/cache/tags.py); the page that uses it then
depends on those tags too, so a page is purged whenever any piece of it is.

Only inside a public page's render (`tags.rendering()`); elsewhere nothing is kept.
"""

from django.core.cache import cache

from . import local, tags
from .keys import fragment_key

# Shared entries are dropped after this long unused; invalid ones are never read.
SHARED_TIMEOUT = 3600


def get_many(keys, *, shared_only=False):
    """{key: value} for the keys found and still valid, this process's copy first.

    This process's copy holds [value, stamp, token of the last purge when it was last
    found valid]: while no purge has happened since, no tag version is read for it.
    """
    render = tags.current()
    if render is None or not keys:
        return {}
    found = {}
    entries = {}
    missing = []
    for key in keys:
        held = None if shared_only else local.fragments.get(key)
        if held is None:
            missing.append(key)
        elif held[2] is not None and held[2] == render.mark:
            found[key] = held[0]
            tags.depends_on(*tags.tags_of(held[1]))
        else:
            entries[key] = (held[0], held[1])
    if missing:
        shared = cache.get_many([fragment_key(key) for key in missing])
        for key in missing:
            entry = shared.get(fragment_key(key))
            if entry is not None:
                entries[key] = entry
    if not entries:
        return found
    names = list(entries)
    for key, ok in zip(names, tags.valid([entries[key][1] for key in names]), strict=True):
        if ok:
            value, entry_stamp = entries[key]
            found[key] = value
            tags.depends_on(*tags.tags_of(entry_stamp))
            if not shared_only:
                # Valid since this render began, and so at the purge token it read.
                local.fragments.set(key, [value, entry_stamp, render.mark])
        else:
            local.fragments.delete(key)
    return found


def set_many(values, *, shared_only=False):
    """Keep each `{key: (value, tags)}`; the page being rendered depends on the tags."""
    if not values:
        return
    for _, entry_tags in values.values():
        tags.depends_on(*entry_tags)
    names = list(values)
    stamps = tags.stamp_many([values[key][1] for key in names])
    shared = {}
    for key, entry_stamp in zip(names, stamps, strict=True):
        if entry_stamp is None:
            continue
        entry = (values[key][0], entry_stamp)
        shared[fragment_key(key)] = entry
        if not shared_only:
            # Stamped under the token this render began with (stamp() checks it).
            local.fragments.set(key, [*entry, tags.current().mark])
    if shared:
        cache.set_many(shared, timeout=SHARED_TIMEOUT)


def get_or_set(key, compute, depends_on, *, shared_only=False):
    """The value kept under `key`, computed (and kept) if missing.

    `depends_on`: the tags of what the value shows, or a function of the value that
    returns them.
    """
    found = get_many([key], shared_only=shared_only)
    if key in found:
        return found[key]
    value = compute()
    entry_tags = depends_on(value) if callable(depends_on) else depends_on
    set_many({key: (value, set(entry_tags))}, shared_only=shared_only)
    return value
