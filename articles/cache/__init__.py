"""The one cache: whole pages for anonymous readers, and pieces of them, each kept
until what it shows changes, on every worker and host at once.

    keys.py          what an entry is keyed by: the normalised URL, the build identity
    names.py         the tags' names (`names.story(pk)`, `names.LIST_LATEST`, …)
    tags.py          cache tags: what an entry shows, tag versions, purging, schedules
    pages.py         PageCacheMiddleware and cache_public_page; HTTP headers
    fragments.py     cards, a story's article, list lengths, the navigation
    local.py         each worker's own copy (always checked against the tags)
    backends.py      Redis that survives an outage, the file cache of one host

A public view says it is cached, and what it shows, in one line each:
`cache_public_page` in articles/urls.py, `depends_on(names.LIST_LATEST)` in the view.
Which tags a change purges is each app's own (signal handlers connected from its
ready(): the story core's are in articles/signal_handlers.py); this package knows
tags, never models.
"""

from .fragments import get_many, get_or_set, set_many
from .pages import PageCacheMiddleware, cache_public_page
from .tags import depends_on, purge, purge_everything

__all__ = [
    "PageCacheMiddleware",
    "cache_public_page",
    "depends_on",
    "get_many",
    "get_or_set",
    "purge",
    "purge_everything",
    "set_many",
]
