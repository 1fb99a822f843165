"""The live gunicorn under wrk: no errors, and none when a worker dies mid-run.

Short runs (about 3 s a page) against the session's live site; timings are reported by
`make bench`, never asserted here.
"""

import os
import signal
import threading

import pytest

from bench.wrk import INSTALL_HINT, run_wrk, wrk_path
from tests.conftest import require

SECONDS = 3
CONNECTIONS = 16


@pytest.fixture(scope="module")
def wrk():
    require(wrk_path(), INSTALL_HINT)


def test_pages_under_load_answer_every_request(wrk, live_site):
    for kind in ("home", "story"):
        result = run_wrk(
            live_site.url(live_site.page(kind).path), duration=SECONDS, connections=CONNECTIONS
        )
        assert result.requests > 0, result
        assert result.statuses.keys() == {200}, result.statuses
        assert result.total_socket_errors == 0, result.socket_errors


def test_a_worker_killed_mid_run_costs_no_server_error(wrk, live_site):
    site = live_site.site
    workers = site.wait_for_workers(3)
    killed = []

    def kill_a_worker():
        # Chosen when the time comes: gunicorn may have recycled the workers seen
        # before the run (max_requests), and a gone pid would kill nothing.
        victim = site.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    killer = threading.Timer(1.0, kill_a_worker)
    killer.start()
    try:
        result = run_wrk(live_site.url("/"), duration=SECONDS, connections=CONNECTIONS)
    finally:
        killer.join()
    [victim] = killed

    assert result.server_errors == 0, result.statuses
    assert result.non_2xx == 0, result.statuses
    # A SIGKILLed sync worker takes the one request it was serving with it: that
    # connection closes unanswered (wrk counts a read error). Nothing else may fail.
    assert result.socket_errors["connect"] == 0, result.socket_errors
    assert result.socket_errors["timeout"] == 0, result.socket_errors
    assert result.total_socket_errors <= 1, result.socket_errors
    # The master replaced the worker, and the site serves on.
    replaced = site.wait_for_workers(len(workers))
    assert victim not in replaced
    assert live_site.get("/").status == 200
