"""WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py newsroom.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

application = get_wsgi_application()

if os.environ.get("NEWSROOM_WARM_UP", "1") != "0":
    # Loaded once in gunicorn's master (preload_app): workers fork warm.
    import gc

    from newsroom.warmup import warm_up

    warm_up(application)
    # What the master built is shared by every worker; keeping the collector off it
    # keeps those memory pages shared (no copy-on-write) and each collection short.
    gc.freeze()
