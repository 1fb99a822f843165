"""Partners' API keys: made, found and revoked here (the admin and access.py use these).

A token reads `nrk_<prefix>_<secret>`: the prefix (public, unique) finds the key's row;
the whole token's SHA-256 is compared with the stored hash in constant time. The token
itself is never stored: it is shown once, when the key is made.
"""

from django.utils import timezone

from .models import ApiKey


def create(name, *, scopes=(), rate_limit=120, created_by=None):
    """A new key and its token (the one time the token exists in clear)."""
    key = ApiKey(name=name, scopes=list(scopes), rate_limit=rate_limit, created_by=created_by)
    token = key.new_token()
    key.save()
    return key, token


def find(token):
    """The key this token opens, or None (unknown, malformed, or revoked)."""
    prefix = ApiKey.prefix_of(token or "")
    if prefix is None:
        return None
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None or key.is_revoked or not key.matches(token):
        return None
    return key


def revoke(key):
    """The key stops working at once (its row stays, for the record)."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
