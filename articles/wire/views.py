"""`POST /wire/<source>/`: an agency pushes one item.

Authenticated by the source's token in the `X-Wire-Token` header (compared in
constant time with the stored hash), not by a session, so this one view is exempt
from CSRF. The body is capped at the wire's limit and read no further; each source may
push `NEWSROOM["WIRE_PUSH_PER_MINUTE"]` items a minute (counted in the cache, bad
tokens included). Answers 202 with the item's id, or 4xx with the reason, as JSON.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .formats import MAX_BYTES
from .ingest import receive
from .models import WireItem, WireSource, hash_token

TOKEN_HEADER = "X-Wire-Token"


def _answer(code, **body):
    return JsonResponse(body, status=code)


def _over_rate(source):
    """Whether `source` has pushed its share this minute (one cache counter a minute)."""
    minute = int(time.time() // 60)
    key = f"wire-push:{source.pk}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one
        cache.set(key, 1, timeout=120)
        count = 1
    return count > settings.NEWSROOM["WIRE_PUSH_PER_MINUTE"]


@csrf_exempt
@never_cache
@require_POST
def push(request, slug):
    source = WireSource.objects.filter(slug=slug, active=True).first()
    token = request.headers.get(TOKEN_HEADER, "")
    if source is None:
        hash_token(token)  # the same work as a wrong token: no timing hint
        return _answer(404, error="No such wire source.")
    if _over_rate(source):
        response = _answer(429, error="Too many items this minute; send again shortly.")
        response["Retry-After"] = "60"
        return response
    if not source.token_matches(token):
        return _answer(403, error=f"Missing or wrong token in the {TOKEN_HEADER} header.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BYTES:
        return _answer(413, error=f"The item is larger than {MAX_BYTES:,} bytes.")
    data = request.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return _answer(413, error=f"The item is larger than {MAX_BYTES:,} bytes.")
    if not data:
        return _answer(400, error="The request has no body: send the item as it is.")
    name = request.headers.get("X-Wire-Filename", "")[:255]
    item, created = receive(source, data, name)
    if item.status == WireItem.Status.REJECTED:
        return _answer(400, id=item.pk, error=item.reason)
    return _answer(202, id=item.pk, status=item.status, duplicate=not created)
