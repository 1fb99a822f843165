"""The suite's two tiers: what a test starts decides where it runs.

`make test-fast` (`pytest --fast`) runs, in parallel workers, only the tests that start
no other process: no Chromium (marker `browser`) and no gunicorn, live site, Java
(vnu.jar), wrk, bench script or `manage.py`/`python` command (marker `server`); nor
those that replay the migration history (marker `migrations`, see MIGRATIONS).
`make test` runs every test in one run over the same workers (`--dist loadgroup`),
each module's process tests together on one worker (`group_by_module`).

The markers are given here, not by hand where possible:
- a test that uses a fixture decorated with `@starts(BROWSER)` or `@starts(SERVER)`
  (tests/live.py's `live_site` and `browser`, the modules' own gunicorn fixtures) or
  `@starts(MIGRATIONS)` (tests/conftest.py's `at_migration`), or
  one of `THIRD_PARTY_FIXTURES`, gets the fixture's marker;
- a test that starts a process itself (`Gunicorn(...)`, `subprocess.run(...)`) carries
  `@pytest.mark.server`, and cannot forget it: `refuse_processes` fails any test without
  either marker that starts a process, in `make test` as in `make test-fast`.

Parallel workers (pytest-xdist sets PYTEST_XDIST_WORKER) share the machine: pytest-django
gives each its own test database (`test_<name>_gw0`), pytest its own tmp_path, and
`isolate_worker` its own media folder and cache (see there).
"""

import copy
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from articles.cache.backends import ResilientRedisCache

BROWSER = "browser"
SERVER = "server"
PROCESS_MARKERS = (BROWSER, SERVER)
# No process, but as slow as one: replaying the migration history renders every model
# at every step, seconds a test (the `at_migration` fixture gives the marker). A third
# of `make test-fast`'s time went on nine such tests; migrations rarely change in an
# inner loop, and `makemigrations --check` still runs there.
MIGRATIONS = "migrations"
FULL_SUITE_ONLY = (*PROCESS_MARKERS, MIGRATIONS)

# Fixtures of plugins, which cannot be decorated here. pytest-django's live server is
# a thread, not a process, but every test using it drives a browser through it.
THIRD_PARTY_FIXTURES = {"live_server": SERVER}


def starts(marker):
    """Decorate a fixture's function (under `@pytest.fixture`): its tests get `marker`."""

    def register(function):
        function.full_suite_marker = marker
        return function

    return register


def _fixture_markers(item):
    info = getattr(item, "_fixtureinfo", None)
    for name in getattr(item, "fixturenames", ()):
        if name in THIRD_PARTY_FIXTURES:
            yield THIRD_PARTY_FIXTURES[name]
        # The definition this test resolves the name to (modules reuse names such as
        # `site` for plain data fixtures), not any fixture of that name.
        definitions = info.name2fixturedefs.get(name) if info else None
        if definitions:
            marker = getattr(definitions[-1].func, "full_suite_marker", None)
            if marker:
                yield marker


def classify(items):
    """Mark each test by the processes its fixtures start."""
    for item in items:
        for marker in set(_fixture_markers(item)):
            if not item.get_closest_marker(marker):
                item.add_marker(getattr(pytest.mark, marker))


def group_by_module(items):
    """Keep each module's process tests on one parallel worker (`--dist loadgroup`).

    They share module-scoped sites and browsers, which a worker builds for the tests it
    runs: split over two workers, a module's Chromium or clocked site would start twice.
    The other tests go one by one to whichever worker is free.
    """
    for item in items:
        if starts_processes(item):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def starts_processes(item):
    return any(item.get_closest_marker(marker) for marker in PROCESS_MARKERS)


def in_fast_tier(item):
    return not any(item.get_closest_marker(marker) for marker in FULL_SUITE_ONLY)


class ProcessRefused(AssertionError):
    pass


def refuse_processes(monkeypatch, nodeid):
    """Make starting a process fail the test, with what to do about it."""

    def refuse(*args, **kwargs):
        raise ProcessRefused(
            f"{nodeid} starts a process ({args[:2]!r}) but is marked neither `server` nor "
            "`browser`: mark it (or its fixture: tests/tiers.py) so that `make test-fast` "
            "leaves it out"
        )

    def refuse_popen(self, *args, **kwargs):
        refuse(*args, **kwargs)

    # subprocess.run/call/check_output, asyncio's subprocesses (Playwright's driver)
    # and the test helpers (tests/servers.py, bench/server.py) all go through Popen.
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse_popen)
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refuse)


class WorkerRedisCache(ResilientRedisCache):
    """The Redis cache of one parallel worker, beside the others' in the same database.

    Each worker has its own KEY_PREFIX, and `clear()` (which tests call to start empty)
    deletes only this worker's keys: Django's flushes the whole database, the other
    workers' pages and tag versions with it, in the middle of their tests. The site
    itself never clears the cache, so nothing else differs from production's backend.
    """

    def clear(self):
        client = self._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        return True


def isolate_worker(worker):
    """Give a parallel worker its own media folder and cache (settings and environment).

    Settings were read when pytest-django set Django up, before any conftest runs, so
    they are overridden here for the whole process; the environment is changed as well
    for any process a test starts. Local-memory caches are per process already.
    """
    overrides, environ = worker_settings(worker)
    os.environ.update(environ)
    override_settings(**overrides).enable()


def worker_settings(worker):
    """(settings, environment variables) of the worker named `worker` ("gw0", …)."""
    media_root = Path(settings.MEDIA_ROOT) / worker
    environ = {"MEDIA_ROOT": str(media_root)}
    caches = copy.deepcopy(settings.CACHES)
    file_root = caches["default"]["LOCATION"] if _is_file(caches["default"]) else None
    for options in caches.values():
        if options["BACKEND"].endswith("RedisCache"):
            options["BACKEND"] = f"{__name__}.WorkerRedisCache"
            options["KEY_PREFIX"] = f"{options.get('KEY_PREFIX', '')}-{worker}"
            environ["CACHE_KEY_PREFIX"] = options["KEY_PREFIX"]
        elif _is_file(options):
            # The state cache's folder lies inside the default's (newsroom/settings.py).
            location = str(options["LOCATION"])
            if file_root and location.startswith(str(file_root)):
                location = f"{file_root}-{worker}{location[len(str(file_root)) :]}"
            else:
                location = f"{location}-{worker}"
            options["LOCATION"] = location
    if file_root:
        environ["NEWSROOM_CACHE_DIR"] = caches["default"]["LOCATION"]
    return {"MEDIA_ROOT": media_root, "CACHES": caches}, environ


def _is_file(options):
    return options["BACKEND"].endswith(("FileCache", "FileBasedCache"))
