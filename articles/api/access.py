"""What a request to the API may see: the one place that decides it.

- Anonymous requests, and keys without the embargo scope, see what the public pages
  show: `Story.objects.published()`.
- A key with the `embargo` scope also sees the stories held back only by their embargo
  (published, set to go live when the embargo lifts, the embargo still ahead), the way
  agencies syndicate: the item must state the embargo (`embargo_until`). Never drafts,
  never stories merely scheduled for later.

Keys come as `Authorization: Bearer <token>` or `X-Api-Key: <token>`. A request naming
a key that is unknown or revoked is refused (401), whatever it asks for; a key over its
rate limit gets 429 with Retry-After (a fixed one-minute window counted in the default
cache). `authenticate(request)` decides once per request and keeps the answer on it.

The read API wires this in:

- django-ninja: `NinjaAPI(..., auth=access.partner_auth)` and `access.install(api)`;
  `request.auth` is then the key, or `access.ANONYMOUS`;
- a plain Django view: `@access.api_view`;
- and, for every /api/ address at once (docs and schema included), the optional
  `access.ApiKeyMiddleware` in MIDDLEWARE.
"""

import logging
import math
import time
from datetime import timedelta
from functools import wraps

from django.core.cache import cache
from django.db.models import F, Q
from django.http import JsonResponse
from django.utils import timezone

from articles.models import Story

from . import keys
from .models import ApiKey

logger = logging.getLogger(__name__)

EMBARGO_SCOPE = ApiKey.Scope.EMBARGO
WINDOW = 60  # seconds: rate limits are per minute
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often
_ATTRIBUTE = "_newsroom_api_key"


class _Anonymous:
    """`request.auth` for a request without a key (truthy, so django-ninja lets it in)."""

    scopes = ()

    def has_scope(self, scope):
        return False

    def __bool__(self):
        return True

    def __repr__(self):
        return "ANONYMOUS"


ANONYMOUS = _Anonymous()


class ApiKeyRefused(Exception):
    """The request names a key that may not be used now: 401 or 429."""

    def __init__(self, status, message, retry_after=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after

    def response(self):
        response = JsonResponse({"detail": self.message}, status=self.status)
        if self.retry_after is not None:
            response["Retry-After"] = str(self.retry_after)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        response["Cache-Control"] = "private, no-store"
        return response


def token_of(request):
    """The token the request carries, "" if it names none."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else header.strip()
    return request.META.get("HTTP_X_API_KEY", "").strip()


def carries_key(request) -> bool:
    return "HTTP_AUTHORIZATION" in request.META or "HTTP_X_API_KEY" in request.META


def key_for(request):
    """The request's key, or None for an anonymous request; raises ApiKeyRefused (401)
    for a key that is unknown, malformed or revoked. Cached on the request."""
    if hasattr(request, _ATTRIBUTE):
        return getattr(request, _ATTRIBUTE)
    key = None
    if carries_key(request):
        key = keys.find(token_of(request))
        if key is None:
            raise ApiKeyRefused(401, "Unknown or revoked API key.")
    setattr(request, _ATTRIBUTE, key)
    return key


def _count(key):
    """Requests of `key` in this minute's window, this one included; and the seconds
    until the window ends."""
    now = time.time()
    window = math.floor(now / WINDOW)
    name = f"api-rate:{key.pk}:{window}"
    try:
        cache.add(name, 0, WINDOW + 5)
        used = cache.incr(name)
    except Exception:  # the cache down: better served than refused
        logger.warning("API rate limit not counted (cache unavailable)", exc_info=True)
        used = 0
    return used, max(1, math.ceil((window + 1) * WINDOW - now))


def _note_use(key):
    """last_used_at, at most once a minute: never a write per request."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        key.last_used_at = now


def authenticate(request):
    """The key of the request (None if anonymous), after checking it and counting the
    request against its rate limit: raises ApiKeyRefused (401, 429). Once per request."""
    if getattr(request, "_newsroom_api_checked", False):
        return key_for(request)
    key = key_for(request)
    if key is not None:
        used, retry_after = _count(key)
        if used > key.rate_limit:
            raise ApiKeyRefused(
                429, f"Rate limit of {key.rate_limit} requests a minute.", retry_after
            )
        _note_use(key)
    request._newsroom_api_checked = True
    return key


def partner_auth(request):
    """django-ninja's `auth=`: the key, or ANONYMOUS (truthy); raises ApiKeyRefused."""
    return authenticate(request) or ANONYMOUS


def install(api):
    """Answer ApiKeyRefused with its 401/429 JSON in a django-ninja API."""

    @api.exception_handler(ApiKeyRefused)
    def refused(request, exc):
        return exc.response()

    return api


def api_view(view):
    """A plain Django view of the API: 401/429 for a refused key, before the view."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            authenticate(request)
        except ApiKeyRefused as refusal:
            return refusal.response()
        response = view(request, *args, **kwargs)
        if carries_key(request):
            # What a key sees is its own: never kept by a shared cache.
            response["Cache-Control"] = "private, no-store"
        return response

    return wrapped


class ApiKeyMiddleware:
    """For every /api/ request carrying a key (its docs and schema too): 401 or 429
    before any view, so no path of the API forgets the check. Optional beside
    `partner_auth` / `api_view`, which check the same (once per request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/") and carries_key(request):
            try:
                authenticate(request)
            except ApiKeyRefused as refusal:
                return refusal.response()
            response = self.get_response(request)
            response["Cache-Control"] = "private, no-store"
            return response
        return self.get_response(request)


def sees_embargoed(request) -> bool:
    key = authenticate(request)
    return key is not None and key.has_scope(EMBARGO_SCOPE)


def embargo_held():
    """Stories held back only by their embargo: published, going live when it lifts."""
    return Story.objects.filter(
        status=Story.Status.PUBLISHED,
        embargo_until__gt=timezone.now(),
        published_at__lte=F("embargo_until"),
    )


def visible_stories(request):
    """The stories this API request may see (raises ApiKeyRefused for a refused key)."""
    if sees_embargoed(request):
        return Story.objects.published() | embargo_held()
    return Story.objects.published()
