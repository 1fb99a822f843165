"""The production URLs plus `/_bench/constant/`, the framework floor (bench settings only).

The constant view returns the same ~30 KB of HTML as the static reference file
(`bench/static/bench/reference.html`), so the two references differ only in who serves
them: Django's full middleware stack and URL resolver, or WhiteNoise.
"""

from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from newsroom.urls import urlpatterns as newsroom_urlpatterns

REFERENCE_FILE = Path(__file__).resolve().parent / "static" / "bench" / "reference.html"
REFERENCE_HTML = REFERENCE_FILE.read_bytes()
CONSTANT_PATH = "/_bench/constant/"


def constant(request):
    return HttpResponse(REFERENCE_HTML, content_type="text/html; charset=utf-8")


urlpatterns = [
    path(CONSTANT_PATH.strip("/") + "/", constant, name="bench_constant"),
    *newsroom_urlpatterns,
]
