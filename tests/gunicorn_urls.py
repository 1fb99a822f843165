"""The production URLs plus a test-only slow page (never in newsroom.urls)."""

import os
import time
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from newsroom.urls import urlpatterns as production_urlpatterns


def slow(request):
    """Sleep ?seconds= (at most 10), then answer; tells the test which worker it is in."""
    pid_file = os.environ.get("NEWSROOM_TEST_SLOW_PID_FILE")
    if pid_file:
        # Written whole, then renamed into place: the test waits for the file to exist
        # and once read it created but still empty.
        written = Path(f"{pid_file}.{os.getpid()}")
        written.write_text(str(os.getpid()))
        written.replace(pid_file)
    time.sleep(min(float(request.GET.get("seconds", "1")), 10))
    return HttpResponse(f"slow done in {os.getpid()}", content_type="text/plain")


urlpatterns = [path("slow/", slow), *production_urlpatterns]
