"""Admin log-in: django-axes' lock-out, the client's address behind a proxy.

Behind a load balancer every request comes from the proxy's address, so the address
axes records is taken from the trusted proxy's X-Forwarded-For (`client_ip_address`),
and the lock-out is per username *and* address, plus a higher limit per address
across usernames (`LockoutHandler`), so nobody can lock an editor out from elsewhere.
"""

import ipaddress
from functools import lru_cache

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out for every log-in that arrives with a request.

    Every web log-in (the admin's form) passes the request and is counted and locked
    out as usual. A call without one (a management command, or the test client's
    `client.login()`) has no address to lock out, so it is left to ModelBackend
    instead of failing with AxesBackendRequestParameterRequired.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_username(request, credentials):
    """The username axes records, cut to what its column holds.

    A login form posted with an absurdly long username must be an ordinary failed
    login, not a database error.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username)[:255]


@lru_cache(maxsize=8)
def _networks(trusted):
    """GUNICORN_FORWARDED_ALLOW_IPS as networks (a bare address is a /32 or /128)."""
    networks = []
    for item in trusted:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            continue  # "*" is handled by the caller; anything else cannot match
    return tuple(networks)


def _address(value):
    """An IP address from a header item ("1.2.3.4", "1.2.3.4:5678", "[::1]:80"), or None."""
    value = value.strip()
    for candidate in (value.strip("[]"), value.rsplit(":", 1)[0].strip("[]")):
        try:
            return ipaddress.ip_address(candidate)
        except ValueError:
            continue
    return None


def client_ip_address(request):
    """The address a request really comes from (axes' AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless it is one of the trusted proxies (settings.TRUSTED_PROXIES,
    from the GUNICORN_FORWARDED_ALLOW_IPS gunicorn believes too): then the right-most
    X-Forwarded-For address that is not itself a trusted proxy, which is the one our
    proxy saw. Addresses further left were written by the client and prove nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = tuple(settings.TRUSTED_PROXIES)

    def is_proxy(address):
        return any(address in network for network in _networks(trusted))

    peer = _address(remote)
    # "*" trusts any peer as a proxy, but no hop inside the header: the right-most
    # address there is then the client's.
    if peer is None or not ("*" in trusted or is_proxy(peer)):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for item in reversed(forwarded.split(",")):
        address = _address(item)
        if address is None:
            break  # the proxy wrote nonsense: trust nothing beyond it
        if not is_proxy(address):
            return str(address)
    return remote


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, plus a lock-out of an address that tries many usernames.

    AXES_LOCKOUT_PARAMETERS locks a username from one address after AXES_FAILURE_LIMIT
    failures. axes has one limit for all its parameters, so the per-address limit
    (AXES_IP_FAILURE_LIMIT, higher: a newsroom's office shares an address) is counted
    here: once an address reaches it, every log-in from it counts as locked out.
    """

    def get_failures(self, request, credentials=None):
        failures = super().get_failures(request, credentials)
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        from_address = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        if from_address >= settings.AXES_IP_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures
