"""Whole public pages for anonymous readers: looked up, stored and labelled here.

- `cache_public_page` wraps every public view (articles/urls.py). It renders the view
  inside `tags.rendering()`, so every `depends_on()` and every fragment used lands in
  the page's tags; it sets ETag, Cache-Control (capped by the next scheduled
  publication), `Surrogate-Key` and `Cache-Tag` (the tags, for a CDN), and marks the
  response storable with the stamp of its tags.
- `PageCacheMiddleware` answers right after WhiteNoise, before sessions, CSRF, auth
  and CSP: the page from this process's copy (else the shared cache), checked against
  the tag versions in one read of the state cache, no SQL; its Cache-Control (and a
  304's) is set afresh, ending by the next timed change read in that same state read
  (articles/cache/tags.py, "Scheduled changes"). A miss passes through and
  the response is stored with the headers every middleware added (CSP,
  X-Frame-Options, …), so a hit carries the same headers as the page it replays.
- **Private content is never stored.** A request carrying a session cookie (editors)
  or an API key (`Authorization`, `X-Api-Key`: partners) bypasses the cache and gets
  `Cache-Control: private, no-store`. Anonymity is decided from the cookie and those
  headers alone, so anonymous requests cost no session query. Responses that
  set a cookie, that say `private`/`no-store` (staff previews) or whose status is not
  200, 301 or 404 are never stored.
"""

import functools
import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags

from . import local, names, tags
from .keys import keep_only_parameters, page_key, page_parameters

CACHEABLE_STATUSES = {200, 301, 404}
# A cached page is replayed with the headers it was served with (CSP, X-Frame-Options,
# ETag, Surrogate-Key, …) except these, which are set again for each reply. Cookies are
# never stored: a response that sets one is not cacheable.
NOT_REPLAYED_HEADERS = {"x-cache", "cache-control", "set-cookie", "x-request-id", "date"}


def _now():
    return timezone.now().timestamp()


# Cache-Control


def _lifetimes(remaining, shared_max=None):
    """(max-age, s-maxage, stale-while-revalidate), none longer than `remaining`; and
    s-maxage + stale-while-revalidate at most `shared_max` (a response's own limit, see
    `SHARED_MAX_ATTRIBUTE`)."""
    config = settings.PAGE_CACHE
    max_age = config["MAX_AGE"]
    s_maxage = config["S_MAXAGE"]
    stale = config["STALE_WHILE_REVALIDATE"]
    for limit in (remaining, shared_max):
        if limit is not None:
            limit = max(0, math.floor(limit))
            max_age, s_maxage = min(max_age, limit), min(s_maxage, limit)
            stale = min(stale, limit - s_maxage)
    return max_age, s_maxage, stale


# A view sets this attribute on its response to bound how long a shared cache (a CDN)
# may keep and serve it, revalidation grace included: kept with the stored page, so a
# hit says the same. (The live poll: a CDN that is not purged must not hold it longer
# than one poll interval.)
SHARED_MAX_ATTRIBUTE = "page_cache_shared_max"


def _public_cache_control(response, remaining):
    """`public, max-age, s-maxage, stale-while-revalidate`, none longer than `remaining`."""
    max_age, s_maxage, stale = _lifetimes(remaining, getattr(response, SHARED_MAX_ATTRIBUTE, None))
    patch_cache_control(
        response,
        public=True,
        max_age=max_age,
        s_maxage=s_maxage,
        stale_while_revalidate=stale,
    )
    # A shared cache must not answer a keyed request with the anonymous copy.
    patch_vary_headers(response, ["Cookie", "Authorization", "X-Api-Key"])


def _replayed_cache_control(remaining, shared_max=None):
    # A stored page carries no Cache-Control (it is set per reply) and already says
    # `Vary: Cookie`: the value is written directly, not merged by patch_cache_control.
    max_age, s_maxage, stale = _lifetimes(remaining, shared_max)
    return f"public, max-age={max_age}, s-maxage={s_maxage}, stale-while-revalidate={stale}"


def _private(response):
    response.headers.pop("Cache-Control", None)
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ["Cookie"])
    return response


# Headers naming a partner's API key (articles/api/access.py): such a request is not
# anonymous. A revoked key must be refused, not answered from the cache, and what an
# embargo key sees must never be stored for readers.
CREDENTIAL_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_API_KEY")


def _is_anonymous(request):
    # No session cookie and no key, no session: decided without touching the session
    # store (or the keys' table).
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    return not any(header in request.META for header in CREDENTIAL_HEADERS)


def _is_storable(response):
    if response.status_code not in CACHEABLE_STATUSES:
        return False
    if getattr(response, "streaming", False) or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    return "private" not in cache_control and "no-store" not in cache_control


def _replay(request, entry, until):
    """The stored page as a response. `until`: when its announced lifetimes end (its
    own expiry, or the next timed change if sooner, as read for this very hit): the
    Cache-Control it was first served with is never replayed, since a story scheduled
    since then must end every cache's copy by its time."""
    status, headers, content, _, _, shared_max = entry
    if status == 200 and "HTTP_IF_NONE_MATCH" in request.META:
        response = _not_modified(request, headers, until, shared_max)
        if response is not None:
            return response
    response = HttpResponse(content, status=status)
    # The headers as they were checked when the page was first served ({lower name:
    # (name, value)}, the form ResponseHeaders keeps them in): copied whole, not
    # validated again one by one on every hit (a third of a hit's time in process).
    response.headers._store.update(headers)
    response["X-Cache"] = "hit"
    response["Cache-Control"] = _replayed_cache_control(until - _now(), shared_max)
    etag = response.get("ETag")
    if etag and status == 200:
        # Answered here, before ConditionalGetMiddleware: a revalidation costs no render.
        return get_conditional_response(request, etag=etag, response=response)
    return response


def _not_modified(request, headers, until, shared_max=None):
    """The 304 for a reader whose copy is current, else None; built directly, with the
    headers Django's `get_conditional_response` keeps (ETag, Vary, Cache-Control), not
    by building the whole page's response first: a live page's script revalidates its
    poll every few seconds, thousands of readers at once."""
    etag = headers.get("etag", (None, None))[1]
    if etag is None:
        return None
    wanted = parse_etags(request.META["HTTP_IF_NONE_MATCH"])
    if "*" not in wanted and etag.removeprefix("W/") not in (
        tag.removeprefix("W/") for tag in wanted
    ):
        return None
    response = HttpResponseNotModified()
    response["ETag"] = etag
    if "vary" in headers:
        response["Vary"] = headers["vary"][1]
    response["X-Cache"] = "hit"
    response["Cache-Control"] = _replayed_cache_control(until - _now(), shared_max)
    return response


def _lookup(key):
    """(the stored page under `key`, when its reply's lifetimes end) if its tags are
    still current, else None.

    This process's copy is kept as [entry, token of the last purge when it was last
    found valid]: while no purge has happened since, it is valid without reading its
    tags' versions. The next timed change comes in the same read as the purge token, so
    capping the reply's lifetime by it costs a hit nothing more.
    """
    mark, when = tags.hit_state()
    now = _now()
    if when is None or (when and when <= now):
        return None  # a timed change has come (or is unknown): the render purges for it
    held = local.pages.get(key)
    if held is not None and held[1] is not None and held[1] == mark and held[0][3] > now:
        entry = held[0]
    else:
        entry = held[0] if held is not None else cache.get(key)
        if entry is not None and (len(entry) != 6 or not isinstance(entry[1], dict)):
            entry = None  # stored by an older release under the same NEWSROOM_BUILD_ID
        if entry is None or entry[3] <= now or not tags.valid([entry[4]])[0]:
            local.pages.delete(key)
            return None
        if held is None:
            local.pages.set(key, [entry, mark])
        else:
            held[1] = mark  # read before the versions: a purge since then is seen next time
    expires_at = entry[3]
    return entry, (when if when and when < expires_at else expires_at)


class PageCacheMiddleware:
    """Answer anonymous readers from the page cache, before sessions, CSRF and auth."""

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
        key = page_key(request)
        found = _lookup(key)
        if found is not None:
            return _replay(request, *found)
        response = self.get_response(request)
        page_stamp = getattr(response, "page_cache_stamp", None)
        timeout = getattr(response, "page_cache_timeout", 0)
        if page_stamp and timeout > 0 and request.method == "GET" and _is_storable(response):
            headers = {
                name.lower(): (name, value)
                for name, value in response.items()
                if name.lower() not in NOT_REPLAYED_HEADERS
            }
            shared_max = getattr(response, SHARED_MAX_ATTRIBUTE, None)
            entry = (
                response.status_code,
                headers,
                response.content,
                _now() + timeout,
                page_stamp,
                shared_max,
            )
            cache.set(key, entry, timeout=timeout)
            local.pages.set(key, [entry, None])  # checked on its first hit
        return response


def _label(response, page_tags):
    """Surrogate-Key (Fastly, Varnish xkey) and Cache-Tag (Cloudflare, Akamai): the tags a
    CDN in front purges this page by, with the NEWSROOM_CACHE_PURGE_HOOK it is told."""
    names = sorted({tags.EVERYTHING, *page_tags})
    response["Surrogate-Key"] = " ".join(names)
    response["Cache-Tag"] = ",".join(names)


def cache_public_page(view, parameters=()):
    """Make `view` a public page: cacheable for anonymous readers (see the module doc).

    `parameters` names the query parameters the view reads (part of the page's key);
    it sees no others. The view says what it shows with `depends_on()`.
    """
    parameters = frozenset(parameters)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        # Done by the middleware already; again here, so that holds without it too.
        keep_only_parameters(request, parameters)
        with tags.rendering() as render:
            if not _is_anonymous(request):
                return _private(view(request, *args, **kwargs))
            return _render_public(request, render, view, args, kwargs)

    wrapped.page_parameters = parameters
    return wrapped


def _render_public(request, render, view, args, kwargs):
    config = settings.PAGE_CACHE
    remaining = tags.seconds_until_next_publication()
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
    if response.status_code == 404:
        tags.depends_on(names.MISSING)  # until any new public address appears
    timeout = config["SECONDS"] if config["ENABLED"] else 0
    # A change scheduled while this rendered (another worker or host) may come sooner
    # than the one seen at the start: the lifetimes announced end by the sooner.
    when = tags.next_change_now()
    if when and (deadline is None or when < deadline):
        deadline = when
    if deadline is not None:
        # Rendered while a story waits to go live: keep it only until that moment
        # (measured after rendering, which took time too).
        remaining = deadline - _now()
        timeout = min(timeout, math.floor(remaining))
    if not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    _public_cache_control(response, remaining)
    _label(response, render.tags)
    response.page_cache_stamp = tags.stamp(render.tags) if timeout > 0 else None
    response.page_cache_timeout = timeout
    response["X-Cache"] = "miss"
    return response
