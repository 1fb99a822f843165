"""Settings for gunicorn processes started by tests: production settings plus /slow/."""

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "tests.gunicorn_urls"
