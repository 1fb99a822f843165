"""Whole-page caching for anonymous readers, never stale and never private.

Every public page in `articles.urls` is wrapped in `cache_public_page`. How it stays
correct:

- **Versioned keys.** A content version number lives in the shared cache (a folder of
  files on one host, Redis on several). It is part of every page key, and any change to
  content (signals on every model a page shows, plus explicit bumps after
  `queryset.update()` and bulk imports) increments it, so every page of every host
  misses at once. Old entries are never read again and simply expire. So is the build
  identity (`newsroom.cache.build_id()`): after a deploy, nothing the previous code
  rendered is served.
- **Scheduled stories.** Scheduling is just a future `published_at`, with no signal
  when the moment comes; so no entry (and no `max-age`) outlives the next scheduled
  publication. That time is looked up once per content version and kept with it.
- **State that eviction cannot take.** The version and the next scheduled publication
  live in their own small cache (`CACHES["state"]`, `state_cache()`), apart from the
  thousands of pages and fragments that fill the default one: a full cache culls
  pages, never these two keys. (Losing the version would make every page cold at once;
  losing the next publication after its moment would leave lists stale until the next
  edit, since nothing would move the version.) On Redis they are keys without a TTL in
  the same database, which `maxmemory-policy volatile-lru` never evicts.
- **Private content is never stored.** A request carrying a session cookie (editors)
  bypasses the cache and gets `Cache-Control: private, no-store`. Anonymity is decided
  from the cookie alone, so anonymous requests cost no session query. Responses that
  set a cookie, that say `private`/`no-store` (staff previews) or whose status is not
  200, 301 or 404 are never stored.
- **Only the parameters a page reads.** Each public URL pattern declares which query
  parameters its view reads (`articles/urls.py`); before the view runs, everything else
  (`utm_*`, `fbclid`, `gclid`, a typo…) is dropped from `request.GET` and the query
  string, and the rest is sorted, one value each (the last, as `QueryDict.get` reads).
  So a link carrying tracking parameters is a hit on the page without them, and no view
  can read a parameter its key does not hold.
- **Cheap hits.** `PageCacheMiddleware` answers right after WhiteNoise, before
  sessions, CSRF, auth and CSP: one read of the version from the shared cache, the page
  from this process's copy (else the shared cache), no SQL. The stored headers are the
  final ones, so CSP and X-Frame-Options are on every hit.

Responses carry an `ETag` (a hit answers If-None-Match with 304 itself) and
`Cache-Control: public, max-age, s-maxage, stale-while-revalidate` suited to a CDN,
capped by the next scheduled publication.
"""

import functools
import hashlib
import math
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache, caches
from django.core.handlers.exception import response_for_exception
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404, HttpResponse, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from newsroom.cache import RENEW_AFTER_OUTAGE, build_id

VERSION_KEY = "newsroom:content-version"
# (content version, timestamp of the next scheduled publication or 0.0 if none).
NEXT_KEY = "newsroom:next-scheduled"
# Edits made while Redis was away could not move the version: it moves on its return.
RENEW_AFTER_OUTAGE.add(VERSION_KEY)
CACHEABLE_STATUSES = {200, 301, 404}
# A cached page is replayed with the headers it was served with (CSP, X-Frame-Options,
# ETag, …) except these, which are set again for each reply. Cookies are never stored:
# a response that sets one is not cacheable.
NOT_REPLAYED_HEADERS = {"x-cache", "cache-control", "set-cookie", "x-request-id", "date"}


def page_cache_settings():
    return settings.PAGE_CACHE


def _now():
    return timezone.now().timestamp()


# Content version


def state_cache():
    """The cache that keeps the content version and the next scheduled publication.

    `CACHES["state"]`: a few keys that no culling of pages and fragments can evict. A
    configuration without that alias keeps them in the default cache.
    """
    return caches["state"] if "state" in settings.CACHES else cache


def content_version():
    state = state_cache()
    version = state.get(VERSION_KEY)
    if version is None:
        # Start from the clock, not 1, so a version key lost to a restart of the cache
        # can never bring back pages stored under an old number.
        state.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = state.get(VERSION_KEY)
    return version


def request_content_version(request):
    """The content version to render this request under: read once, whoever asks first.

    A scheduled story going live changes content without any signal, so the first
    request after that moment moves the version itself. None while the shared cache is
    unreachable, and then nothing is cached.
    """
    try:
        return request._newsroom_content_version
    except AttributeError:
        pass
    version = content_version()
    if version is not None:
        when = _known_next_publication(version)
        if when is None:
            _store_next_publication(version, _query_next_publication())
        elif when and when <= _now():
            _bump(recompute=True)
            version = content_version()
    request._newsroom_content_version = version
    return version


def _bump(recompute):
    """Increment the version; carry or recompute the next scheduled publication."""
    state = state_cache()
    try:
        version = state.incr(VERSION_KEY)
    except ValueError:  # no version yet
        version = time.time_ns()
        state.set(VERSION_KEY, version, timeout=None)
    previous = _known_next_publication(version - 1)
    if previous and previous <= _now():
        previous = None  # gone live already: nothing to carry
    if recompute or previous is None:
        # Looked up now rather than by a later request: a story scheduled between now
        # and then would otherwise be missed, and nothing would move the version.
        when = _query_next_publication()
        if connections[DEFAULT_DB_ALIAS].in_atomic_block and previous:
            # Seen from inside a transaction that may yet roll back: never later than
            # what was known before it. The bump after commit sets the exact time.
            when = min(t for t in (when, previous) if t)
        _store_next_publication(version, when)
    else:
        # Tags, bylines, sections and related headlines do not move publication times.
        _store_next_publication(version, previous)


def _bump_after_commit():
    _bump(recompute=True)


def bump_content_version(using=DEFAULT_DB_ALIAS, *, schedule_changed=True):
    """Make every cached page miss, now and again when the current transaction commits.

    The immediate bump covers the writer's own next request; the one after commit
    covers pages rendered by other processes while the transaction was still open
    (they saw the old data and may have stored it under the new version).
    `schedule_changed=False` (no story changed) skips looking up the next scheduled
    publication again.
    """
    _bump(recompute=schedule_changed)
    connection = connections[using]
    if connection.in_atomic_block and not any(
        callback is _bump_after_commit for _, callback, *_ in connection.run_on_commit
    ):
        transaction.on_commit(_bump_after_commit, using=using)


def _content_changed(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    from .models import Story

    action = kwargs.get("action")
    if action is not None and not action.startswith("post_"):
        return
    bump_content_version(using=using, schedule_changed=sender is Story)


def connect_signals():
    """Bump the version whenever anything a public page shows changes (apps.ready)."""
    from taggit.models import Tag, TaggedItem

    from .models import Author, RelatedHeadline, Section, Story, StoryAuthor, StorySlug

    for model in (Story, Section, Author, StoryAuthor, RelatedHeadline, StorySlug, Tag, TaggedItem):
        uid = f"newsroom-cache-{model._meta.label_lower}"
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"{uid}-delete")
    for through in (Story.authors.through, Story.tags.through):
        m2m_changed.connect(
            _content_changed,
            sender=through,
            dispatch_uid=f"newsroom-cache-m2m-{through._meta.label_lower}",
        )


# Scheduled publications


def _query_next_publication():
    """When the next scheduled story goes live, as a timestamp (0.0: none scheduled)."""
    from .models import Story

    next_at = (
        Story.objects.scheduled()
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return next_at.timestamp() if next_at else 0.0


def _known_next_publication(version):
    """The next scheduled publication stored for `version`; None if none is."""
    stored = state_cache().get(NEXT_KEY)
    if stored is not None and stored[0] == version:
        return stored[1]
    return None


def _store_next_publication(version, when):
    # One key, never expiring, in the state cache: kept past the moment itself, so the
    # first request after it sees it has passed and moves the version
    # (request_content_version). A newer version's entry is never replaced.
    state = state_cache()
    stored = state.get(NEXT_KEY)
    if stored is not None and stored[0] > version:
        return
    state.set(NEXT_KEY, (version, when), timeout=None)


def seconds_until_next_publication(version):
    """Seconds until the next scheduled story goes live (None if none is scheduled).

    Kept in the cache under the content version (set when content changes, else
    looked up once); negative once that moment has passed.
    """
    when = _known_next_publication(version)
    if when is None:
        when = _query_next_publication()
        _store_next_publication(version, when)
    if not when:
        return None
    return when - _now()


# Cache-Control


def _public_cache_control(response, remaining):
    """`public, max-age, s-maxage, stale-while-revalidate`, none longer than `remaining`."""
    config = settings.PAGE_CACHE
    max_age = config["MAX_AGE"]
    s_maxage = config["S_MAXAGE"]
    stale = config["STALE_WHILE_REVALIDATE"]
    if remaining is not None:
        remaining = max(0, math.floor(remaining))
        max_age, s_maxage = min(max_age, remaining), min(s_maxage, remaining)
        stale = min(stale, remaining - s_maxage)
    patch_cache_control(
        response,
        public=True,
        max_age=max_age,
        s_maxage=s_maxage,
        stale_while_revalidate=stale,
    )
    patch_vary_headers(response, ["Cookie"])


def _private(response):
    response.headers.pop("Cache-Control", None)
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ["Cookie"])
    return response


def _is_anonymous(request):
    # No session cookie, no session: decided without touching the session store.
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def _is_storable(response):
    if response.status_code not in CACHEABLE_STATUSES:
        return False
    if getattr(response, "streaming", False) or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    return "private" not in cache_control and "no-store" not in cache_control


# Query parameters


def page_parameters(request):
    """The query parameters the public page at this path reads; None if it is not one."""
    # As Django's handler picks the URLconf (a middleware may set request.urlconf).
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    return _parameters_at(urlconf, request.path_info)


@functools.lru_cache(maxsize=4096)
def _parameters_at(urlconf, path):
    # Resolving a path takes 30-40 µs, a sixth of a whole hit (~200 µs in process);
    # remembering the answer for the paths seen most recently costs about one.
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    return getattr(match.func, "page_parameters", None)


def keep_only_parameters(request, names):
    """Leave in `request.GET` and the query string only `names`, sorted, one value each.

    Of a repeated parameter (`?page=1&page=2`) the last value is kept: the one
    `request.GET.get()` would have read.
    """
    query_string = request.META.get("QUERY_STRING", "")
    if not query_string:
        return
    if not any(name in query_string for name in names):
        # The usual tracking link (`?utm_source=…`): nothing to keep, nothing to parse.
        request.GET = QueryDict()
        request.META["QUERY_STRING"] = ""
        return
    found = request.GET
    kept = QueryDict(mutable=True)
    for name in sorted(names & found.keys()):
        kept[name] = found[name]
    kept._mutable = False
    request.GET = kept
    request.META["QUERY_STRING"] = kept.urlencode()


def _page_key(request, version):
    url = request.build_absolute_uri()
    digest = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()
    return f"newsroom:page:{build_id()}:{version}:{digest}"


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
    """A small per-process copy of entries keyed under one content version.

    Every key already carries the content version, which each request reads from the
    shared cache; entries of an older version are dropped as soon as a newer one is
    seen, so a worker's copy can never serve what another worker has invalidated.
    Bounded by an approximate size, so a worker's memory stays flat however many
    pages it serves: the oldest entries go first.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.clear()

    def get(self, version, key):
        if version != self.version:
            return None
        found = self.entries.get(key)
        return None if found is None else found[0]

    def set(self, version, key, value):
        if version is None:
            return  # the shared cache is unreachable: no version to trust
        if version != self.version:
            if self.version is not None and version < self.version:
                return  # rendered under a version that is already superseded
            self.clear()
            self.version = version
        size = _size(value)
        if size > self.max_bytes // 4:
            return  # one huge entry would push out everything else
        previous = self.entries.pop(key, None)
        if previous is not None:
            self.size -= previous[1]
        while self.entries and self.size + size > self.max_bytes:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.size -= dropped
        self.entries[key] = (value, size)
        self.size += size

    def clear(self):
        self.version, self.entries, self.size = None, OrderedDict(), 0


# Per process; with gunicorn's default 2 × CPUs + 1 workers, a few MB per host.
local_pages = LocalCache(max_bytes=3 * 2**20)


def _replay(request, entry):
    status, headers, content, expires_at = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response["X-Cache"] = "hit"
    _public_cache_control(response, expires_at - _now())
    etag = response.get("ETag")
    if etag and status == 200:
        # Answered here, before ConditionalGetMiddleware: a revalidation costs no render.
        return get_conditional_response(request, etag=etag, response=response)
    return response


class PageCacheMiddleware:
    """Answer anonymous readers from the page cache, before sessions, CSRF and auth.

    Placed right after WhiteNoise: a hit costs one read of the content version from the
    shared cache, one page lookup (this process's copy first) and no SQL. A miss passes
    through; views wrapped in `cache_public_page` mark their response as storable, and
    the response is stored here with the headers every middleware added (CSP,
    X-Frame-Options, …), so a hit carries the same headers as the page it replays.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        parameters = page_parameters(request)
        if parameters is None:
            return self.get_response(request)  # not a public page: never stored
        keep_only_parameters(request, parameters)
        if not settings.PAGE_CACHE["ENABLED"] or not _is_anonymous(request):
            return self.get_response(request)
        version = content_version()
        if version is not None:
            key = _page_key(request, version)
            entry = local_pages.get(version, key)
            if entry is None:
                entry = cache.get(key)
                if entry is not None:
                    local_pages.set(version, key, entry)
            if entry is not None and entry[-1] > _now():
                return _replay(request, entry)
        response = self.get_response(request)
        # Rendered under the request's version, which may have moved since the lookup.
        version = getattr(request, "_newsroom_content_version", None)
        key = None if version is None else _page_key(request, version)
        timeout = getattr(response, "page_cache_timeout", 0)
        if key and timeout > 0 and request.method == "GET" and _is_storable(response):
            headers = [
                (name, value)
                for name, value in response.items()
                if name.lower() not in NOT_REPLAYED_HEADERS
            ]
            entry = (response.status_code, headers, response.content, _now() + timeout)
            cache.set(key, entry, timeout=timeout)
            local_pages.set(version, key, entry)
        return response


def cache_public_page(view, parameters=()):
    """Make `view` a public page: cacheable for anonymous readers (see the module doc).

    `parameters` names the query parameters the view reads (part of the page's key);
    it sees no others. The lookup and the storing happen in `PageCacheMiddleware`; this
    decides what may be stored and for how long, and sets ETag and Cache-Control.
    """
    parameters = frozenset(parameters)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        config = settings.PAGE_CACHE
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        # Done by the middleware already; again here, so that holds without it too.
        keep_only_parameters(request, parameters)
        if not _is_anonymous(request):
            response = view(request, *args, **kwargs)
            return _private(response)
        version = request_content_version(request)
        remaining = seconds_until_next_publication(version)
        deadline = None if remaining is None else _now() + remaining
        try:
            response = view(request, *args, **kwargs)
        except Http404 as exc:
            # Not-found pages are cached too (scanners are many); rendered as usual.
            response = response_for_exception(request, exc)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if not _is_storable(response):
            return response
        timeout = config["SECONDS"] if config["ENABLED"] else 0
        if deadline is not None:
            # Rendered while a story waits to go live: keep it only until that moment
            # (measured after rendering, which took time too).
            remaining = deadline - _now()
            timeout = min(timeout, math.floor(remaining))
        if not response.has_header("ETag"):
            response["ETag"] = (
                f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
            )
        _public_cache_control(response, remaining)
        response.page_cache_timeout = timeout if version is not None else 0
        response["X-Cache"] = "miss"
        return response

    wrapped.page_parameters = parameters
    return wrapped
