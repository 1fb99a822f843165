"""Authentication backends."""

from axes.backends import AxesStandaloneBackend


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
