"""Project-wide middleware: request ids, health checks, database outages, CSP by path.

Order in settings.MIDDLEWARE matters: RequestIdMiddleware and HealthCheckMiddleware come
first (before SecurityMiddleware and CommonMiddleware, which validate the Host header).
"""

import logging

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

from . import health
from .logging import clean_request_id, request_id_var

logger = logging.getLogger("newsroom.request")

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Give every request an id: the caller's X-Request-ID if sane, else a new one.

    It is echoed in the response and carried by every log line written meanwhile.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.META.get("HTTP_X_REQUEST_ID", ""))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class HealthCheckMiddleware:
    """Answer /healthz and /readyz before anything looks at the Host header.

    Load balancers probe each host by its IP address, which is not in ALLOWED_HOSTS.
    Only these two exact paths, and only GET and HEAD, bypass the check; they read
    nothing from the request.
    """

    views = {"/healthz": health.healthz, "/readyz": health.readyz}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """The database went away: a friendly 503 with Retry-After, not a stack trace.

    Nothing to undo when it comes back: connections are health-checked and reopened
    by Django on the next request (CONN_MAX_AGE with CONN_HEALTH_CHECKS).
    """

    retry_after = 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "Database unavailable: %s %s", request.method, request.path, exc_info=exception
        )
        # Rendered without the request: context processors would query the database.
        body = loader.get_template("503.html").render({})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(self.retry_after)
        response["Cache-Control"] = "no-store"
        return response


class NewsroomCSPMiddleware(CSPMiddleware):
    """django-csp with a second policy for the admin, whose inline scripts carry nonces.

    Public pages get settings.CONTENT_SECURITY_POLICY (no inline scripts, no nonce: they
    are cached and shared). Paths under the admin get settings.NEWSROOM_ADMIN_CSP, which
    allows an inline script or style only with this response's nonce. The admin renders
    form media (`{{ media }}`) itself; media that can carry a nonce (django-js-asset's,
    which holds django-prose-editor's import map) is given this request's nonce before
    the template renders, so the import map runs and nothing else inline does.
    """

    def _is_admin(self, request):
        return request.path_info.startswith("/" + settings.ADMIN_URL)

    def process_template_response(self, request, response):
        context = response.context_data
        if self._is_admin(request) and context and hasattr(context.get("media"), "with_nonce"):
            # The lazy nonce: only a page that renders an inline tag puts it in the header.
            context["media"] = context["media"].with_nonce(request.csp_nonce)
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and self._is_admin(request):
            parts.config = settings.NEWSROOM_ADMIN_CSP["DIRECTIVES"]
        return parts
