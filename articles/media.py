"""Serving uploaded media from a single host without DEBUG's development view.

Uploaded files get unique names, so they can be cached for a long time. Operators
with a web server or object storage in front set SERVE_MEDIA=0 instead.
"""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

# Only derivatives and photos readers see; nothing else under MEDIA_ROOT is served.
PUBLIC_MEDIA_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif"}


@require_safe
def serve_media(request, path):
    try:
        full_path = Path(safe_join(settings.MEDIA_ROOT, path))
    except (SuspiciousFileOperation, ValueError) as exc:
        raise Http404("No such file.") from exc
    if full_path.suffix.lower() not in PUBLIC_MEDIA_SUFFIXES or not full_path.is_file():
        raise Http404("No such file.")
    content_type, _ = mimetypes.guess_type(full_path.name)
    response = FileResponse(full_path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=604800"
    response["X-Content-Type-Options"] = "nosniff"
    return response
