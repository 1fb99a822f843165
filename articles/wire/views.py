"""`POST /wire/<source>/`: an agency pushes one item.

Authenticated by the source's token in the `X-Wire-Token` header (compared in
constant time with the stored hash), not by a session, so this one view is exempt
from CSRF. The body is capped at the wire's limit and read no further. Two budgets a
minute, counted in the cache: a source may push `NEWSROOM["WIRE_PUSH_PER_MINUTE"]`
authenticated items, and a client address may send
`NEWSROOM["WIRE_BAD_TOKENS_PER_MINUTE"]` wrong tokens (or unknown sources). Wrong tokens
never count against the source, so nobody who lacks its token can lock an agency out;
an address past its budget is answered 429 before its token is even checked. The
address is the one the log-in lock-out uses (newsroom/auth.py: X-Forwarded-For only
from a trusted proxy). Answers 202 with the item's id, or 4xx with the reason, as JSON.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from newsroom.auth import client_ip_address

from .formats import MAX_BYTES
from .ingest import receive
from .models import WireItem, WireSource, hash_token

TOKEN_HEADER = "X-Wire-Token"
TOO_MANY_WRONG = "Too many wrong tokens from this address; wait a minute."


def _answer(code, **body):
    return JsonResponse(body, status=code)


def _key(kind, who):
    return f"wire-push:{kind}:{who}:{int(time.time() // 60)}"  # one counter a minute


def _count(key):
    """Add one to the counter `key`; its new value."""
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one
        cache.set(key, 1, timeout=120)
        return 1


def _too_many(error):
    response = _answer(429, error=error)
    response["Retry-After"] = "60"
    return response


def _bad_token(address):
    """A wrong token (or an unknown source) from `address`: 403, or 429 past its budget."""
    if _count(_key("bad", address)) > settings.NEWSROOM["WIRE_BAD_TOKENS_PER_MINUTE"]:
        return _too_many(TOO_MANY_WRONG)
    return None


@csrf_exempt
@never_cache
@require_POST
def push(request, slug):
    address = client_ip_address(request)
    # An address already past its budget of wrong tokens is not even heard (no
    # guessing on); the agency's own pushes come from elsewhere and are not held up.
    if (cache.get(_key("bad", address)) or 0) >= settings.NEWSROOM["WIRE_BAD_TOKENS_PER_MINUTE"]:
        return _too_many(TOO_MANY_WRONG)
    source = WireSource.objects.filter(slug=slug, active=True).first()
    token = request.headers.get(TOKEN_HEADER, "")
    if source is None:
        hash_token(token)  # the same work as a wrong token: no timing hint
        return _bad_token(address) or _answer(404, error="No such wire source.")
    if not source.token_matches(token):
        return _bad_token(address) or _answer(
            403, error=f"Missing or wrong token in the {TOKEN_HEADER} header."
        )
    # Only the source's own (authenticated) pushes count against its budget.
    if _count(_key("source", source.pk)) > settings.NEWSROOM["WIRE_PUSH_PER_MINUTE"]:
        return _too_many("Too many items this minute; send again shortly.")
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
