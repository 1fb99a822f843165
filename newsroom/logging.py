"""Logging to stdout, one line per event, each carrying the request id.

`RequestIdMiddleware` (newsroom.middleware) sets the id for the duration of a request;
`RequestIdFilter` copies it onto every log record as `%(request_id)s` ("-" outside a
request). Nothing here logs headers, cookies or request bodies, so no secret reaches a
log line through this path.
"""

import contextvars
import logging
import re
import uuid

request_id_var = contextvars.ContextVar("request_id", default="-")

# An incoming X-Request-ID is honoured only when it is short and plain: anything else
# could forge log lines or fill them.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def clean_request_id(value):
    """The incoming id if it is sane, else a fresh one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True
