"""Start-up configuration read from the environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.server
def test_missing_secret_key_stops_start_up_with_a_clear_message():
    result = run_check(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.server
def test_secret_key_from_environment_starts():
    result = run_check(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="a-long-test-secret-" * 3)
    assert result.returncode == 0, result.stderr


@pytest.mark.server
def test_debug_mode_starts_without_a_secret():
    result = run_check(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.server
def test_settings_read_database_hosts_and_zone_from_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.ALLOWED_HOSTS, s.TIME_ZONE, s.USE_TZ)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DATABASE_URL": "postgres://u@db.example:5432/news",
            "DJANGO_ALLOWED_HOSTS": "news.example,www.news.example",
            "NEWSROOM_TIME_ZONE": "Europe/Paris",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "['news.example',",
        "'www.news.example']",
        "Europe/Paris",
        "True",
    ], result.stderr


def test_static_files_use_hashed_compressed_names_in_production():
    from newsroom import settings as module

    assert (
        module.STORAGES["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
