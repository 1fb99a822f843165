"""Serving uploaded media from a single host without DEBUG's development view.

Only what readers are meant to see is served: photo renditions and author portraits,
both re-encoded without metadata (articles/images.py). Originals are in another
storage altogether. Rendition names are new for every photo, so they can be cached
for a year. Operators with a web server, CDN or object storage in front set
SERVE_MEDIA=0 instead (docs/operations.md, "Photos and media").
"""

import mimetypes
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

PUBLIC_MEDIA_FOLDERS = ("renditions", "authors")
PUBLIC_MEDIA_SUFFIXES = {".jpg", ".jpeg", ".webp", ".avif"}


@require_safe
def serve_media(request, path):
    try:
        full_path = Path(safe_join(settings.MEDIA_ROOT, path))
    except (SuspiciousFileOperation, ValueError) as exc:
        raise Http404("No such file.") from exc
    relative = full_path.relative_to(os.path.abspath(settings.MEDIA_ROOT))
    if (
        not relative.parts
        or relative.parts[0] not in PUBLIC_MEDIA_FOLDERS
        or full_path.suffix.lower() not in PUBLIC_MEDIA_SUFFIXES
        or not full_path.is_file()
    ):
        raise Http404("No such file.")
    content_type, _ = mimetypes.guess_type(full_path.name)
    response = FileResponse(full_path.open("rb"), content_type=content_type)
    # Renditions never change under a name; portraits get a new name when replaced.
    immutable = relative.parts[0] == "renditions"
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if immutable else "public, max-age=86400"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
