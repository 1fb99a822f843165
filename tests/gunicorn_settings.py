"""Settings for gunicorn processes started by tests: production settings plus /slow/."""

from django.conf import global_settings

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "tests.gunicorn_urls"

# The suite stores test passwords with the fast MD5 hasher (tests/conftest.py); the
# servers it starts must be able to check them.
PASSWORD_HASHERS = [
    *global_settings.PASSWORD_HASHERS,
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
