"""The suite's tiers (tests/tiers.py): `make test-fast` starts no browser and no process."""

import os
import subprocess
import sys
import uuid

import pytest

from tests.conftest import require
from tests.servers import ROOT
from tests.tiers import ProcessRefused, WorkerRedisCache, worker_settings


def test_a_test_starting_a_process_unmarked_fails_saying_how_to_mark_it():
    with pytest.raises(ProcessRefused, match="marked neither `server` nor `browser`"):
        subprocess.run(["true"], check=True)
    with pytest.raises(ProcessRefused, match=r"test_tiers\.py::"):
        os.system("true")


@pytest.mark.server
def test_a_test_marked_server_may_start_processes():
    assert subprocess.run(["true"], check=True).returncode == 0


@pytest.mark.server
def test_a_modules_process_tests_are_grouped_onto_one_worker(request):
    """pytest-xdist's loadgroup reads the group from a suffix on the node id; on pytest
    9.2 the suffix silently went missing (pytest-dev/pytest-xdist#1386) and a module's
    tests, with their sites, were spread over every worker."""
    assert [mark.args for mark in request.node.iter_markers("xdist_group")] == [
        ("tests.test_tiers",)
    ]
    if request.config.getoption("loadgroup", default=False):  # a worker of `make test`
        assert request.node.nodeid.endswith("@tests.test_tiers")


def collected(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return {
        line.split("::")[0] + "::" + line.split("::")[1].split("[")[0]
        for line in result.stdout.splitlines()
        if "::" in line
    }


@pytest.mark.server
def test_the_fast_tier_leaves_out_the_tests_that_start_a_process_or_replay_migrations():
    files = [
        "tests/test_banner.py",  # plain data fixture named `site`: stays in
        "tests/test_gunicorn.py",  # gunicorn through the module's decorated fixtures
        "tests/test_html_validity.py",  # the live site (tests/live.py) and Java
        "tests/test_journeys.py",  # Chromium (`browser`)
        "tests/test_move_wire.py",  # one test replays the migrations (`at_migration`)
        "tests/test_settings.py",  # `manage.py check` in a process, marked by hand
        "tests/test_tiers.py",
    ]
    everything, fast = collected(*files), collected("--fast", *files)

    assert fast < everything
    left_out = {test.split("::")[0] for test in everything - fast}
    assert left_out == {
        "tests/test_gunicorn.py",
        "tests/test_html_validity.py",
        "tests/test_journeys.py",
        "tests/test_move_wire.py",
        "tests/test_settings.py",
        "tests/test_tiers.py",
    }
    assert (
        "tests/test_move_wire.py::test_the_move_keeps_rows_permissions_and_history_both_ways"
        in (everything - fast)
    )
    assert (
        "tests/test_move_wire.py::test_old_admin_addresses_of_the_wire_redirect_to_the_new_ones"
        in fast
    )
    assert not any(
        test.startswith(("tests/test_gunicorn.py", "tests/test_journeys")) for test in fast
    )
    assert "tests/test_banner.py::test_no_banner_no_region" in fast
    assert (
        "tests/test_tiers.py::test_a_test_starting_a_process_unmarked_fails_saying_how_to_mark_it"
        in fast
    )
    assert "tests/test_tiers.py::test_a_test_marked_server_may_start_processes" not in fast
    assert (
        "tests/test_settings.py::test_static_files_use_hashed_compressed_names_in_production"
        in fast
    )


def test_parallel_workers_get_their_own_media_folder_and_redis_keys(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / ".test-media"
    settings.CACHES = {
        alias: {
            "BACKEND": "articles.cache.backends.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
            "KEY_PREFIX": "newsroom",
        }
        for alias in ("default", "state")
    }
    overrides, environ = worker_settings("gw1")

    assert overrides["MEDIA_ROOT"] == tmp_path / ".test-media" / "gw1"
    assert environ["MEDIA_ROOT"] == str(tmp_path / ".test-media" / "gw1")
    for options in overrides["CACHES"].values():
        assert options["BACKEND"] == "tests.tiers.WorkerRedisCache"
        assert options["KEY_PREFIX"] == environ["CACHE_KEY_PREFIX"] == "newsroom-gw1"
        assert options["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_parallel_workers_get_their_own_cache_folders(settings, tmp_path):
    settings.CACHES = {
        "default": {"BACKEND": "articles.cache.backends.FileCache", "LOCATION": f"{tmp_path}/c"},
        "state": {
            "BACKEND": "articles.cache.backends.FileCache",
            "LOCATION": f"{tmp_path}/c/state",
        },
    }
    caches = worker_settings("gw0")[0]["CACHES"]

    assert caches["default"]["LOCATION"] == f"{tmp_path}/c-gw0"
    assert caches["state"]["LOCATION"] == f"{tmp_path}/c-gw0/state"


@pytest.mark.postgres  # the pass of the suite that has Redis (.ci/run)
def test_a_worker_clearing_its_redis_cache_leaves_the_other_workers_keys():
    require(os.environ.get("REDIS_URL"), "REDIS_URL: a Redis server the workers share")
    run = uuid.uuid4().hex
    mine, theirs = (
        WorkerRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"tiers-{run}-{worker}"})
        for worker in ("gw0", "gw1")
    )
    try:
        mine.set("page", "mine")
        theirs.set("page", "theirs")
        theirs.set("tag-version", 7, timeout=None)

        mine.clear()

        assert mine.get("page") is None
        assert theirs.get("page") == "theirs" and theirs.get("tag-version") == 7
    finally:
        theirs.clear()
