"""The production settings plus the benchmark's two references; never used to serve readers.

`make bench` runs gunicorn with these: everything is `newsroom.settings` (read from the
same environment), except that the URLconf adds a constant-HTML view (the framework
floor) and the static files include a page of the same size for WhiteNoise to serve.
"""

from newsroom.settings import *  # noqa: F403
from newsroom.settings import BASE_DIR, STATICFILES_DIRS

ROOT_URLCONF = "bench.urls"
STATICFILES_DIRS = [*STATICFILES_DIRS, BASE_DIR / "bench" / "static"]
