"""Request bodies are capped before they are read, let alone written to disk.

Django streams a multipart body to a temporary file in full before any form checks its
size, and CsrfViewMiddleware parses the body of every POST that carries a CSRF cookie.
Without a cap, one POST claiming 2 GB fills the disk and holds a worker while it
arrives. So:

- `RequestBodyLimitMiddleware` (early in MIDDLEWARE, before the page cache and CSRF):
  public (non-admin) URLs take no body at all: anything but GET and HEAD gets 405
  before the body is touched. Any request declaring a Content-Length above
  `max_body_bytes()` gets 413, unread.
- `UploadLimitHandler` (first in FILE_UPLOAD_HANDLERS) counts the bytes a multipart
  parse actually receives and stops it past the same limit, for a body whose length
  was not declared up front (before the temporary file handler writes a byte).

gunicorn discards at most a bounded amount of an unread body before it closes the
connection, so a refused request costs the worker next to nothing.
"""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

SAFE_METHODS = ("GET", "HEAD")
# Public addresses that take a POST: the wire desk's push endpoint (a source's token,
# not a session; the view caps the body at the wire's own, smaller, limit).
POST_PREFIXES = ("/wire/",)


# The photo library's bulk upload (articles/photos/admin.py), under the admin's URL:
# the one form that sends several photos at once.
BULK_UPLOAD_PATH = "photos/photo/upload/"


def max_body_bytes(request=None):
    """The largest request body accepted: one photo at its limit plus the form around it,
    or NEWSROOM["PHOTO_BULK_MAX_FILES"] photos for the library's bulk upload."""
    newsroom = settings.NEWSROOM
    photos = 1
    if request is not None and request.path_info == f"/{settings.ADMIN_URL}{BULK_UPLOAD_PATH}":
        photos = newsroom["PHOTO_BULK_MAX_FILES"]
    return newsroom["PHOTO_MAX_BYTES"] * photos + newsroom["UPLOAD_FORM_OVERHEAD_BYTES"]


def _megabytes(size):
    return f"{size / (1024 * 1024):.0f} MB"


def too_large_response(request=None):
    photo = _megabytes(settings.NEWSROOM["PHOTO_MAX_BYTES"])
    if request is not None and _is_admin(request):
        response = _admin_too_large_page(request, _megabytes(max_body_bytes(request)), photo)
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(
        f"413 Request too large: at most {_megabytes(max_body_bytes(request))} can be sent at once "
        f"(a photo may have up to {photo}). Go back: the form still holds your text; "
        "choose a smaller photo.\n",
        status=413,
        content_type="text/plain; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response


def _is_admin(request):
    return request.path_info.startswith("/" + settings.ADMIN_URL)


def _admin_too_large_page(request, request_limit, photo_limit):
    """The 413 an editor sees, in the admin's look with a way back, instead of a page of
    plain text replacing the admin. Answered before authentication runs, so it names no
    user and lists no apps: only the admin's header and the message."""
    referer = request.META.get("HTTP_REFERER", "")
    back_url = (
        referer
        if referer
        and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        else ""
    )
    context = {
        "site_header": admin.site.site_header,
        "site_title": admin.site.site_title,
        "title": "Upload too large",
        "request_limit": request_limit,
        "photo_limit": photo_limit,
        "back_url": back_url,
    }
    return HttpResponse(
        render_to_string("admin/upload_too_large.html", context, request=request),
        status=413,
    )


class UploadTooLarge(RequestDataTooBig):
    """Raised by UploadLimitHandler; RequestBodyLimitMiddleware turns it into a 413."""


class UploadLimitHandler(FileUploadHandler):
    """Stop a multipart parse once more than max_body_bytes() of files have arrived.

    First in FILE_UPLOAD_HANDLERS, so it sees every chunk before the handlers that
    keep it (in memory or in a temporary file). Raising, rather than StopUpload, makes
    sure no view ever runs with part of a form.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = max_body_bytes(request)
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file

    def _refuse(self):
        if self.request is not None:
            self.request.upload_too_large = True
        raise UploadTooLarge(f"Upload larger than {self.limit} bytes refused.")


class RequestBodyLimitMiddleware:
    """405 for a body sent to a public URL, 413 for one larger than the limit; see above."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_admin = _is_admin(request)
        takes_posts = request.method == "POST" and request.path_info.startswith(POST_PREFIXES)
        if not is_admin and not takes_posts and request.method not in SAFE_METHODS:
            response = HttpResponseNotAllowed(SAFE_METHODS)
            response["Cache-Control"] = "no-store"
            return response
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads nothing of a body it cannot size
        if declared > max_body_bytes(request):
            return too_large_response(request)
        response = self.get_response(request)
        if getattr(request, "upload_too_large", False):
            return too_large_response(request)
        return response
