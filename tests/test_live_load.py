"""Live coverage under load: pollers with If-None-Match while a reporter posts.

A short run of `make bench BENCH_ARGS="--workload live"` (bench/live.py), on a site of
its own with the same threaded workers: a few hundred pollers asking every two to three
seconds, an update posted through the admin every second. No errors, unchanged answers
are 304s, every update seen. Timings are reported by `make bench`, never asserted here.
"""

import json
import os
import subprocess
import sys

import pytest

from bench import live
from bench.server import ROOT, Site
from bench.wrk import INSTALL_HINT, wrk_path
from tests.conftest import require
from tests.tiers import SERVER, starts

SEED = live.SEED.format(username=live.REPORTER[0], password=live.REPORTER[1])


@pytest.fixture(scope="module")
@starts(SERVER)
def site(tmp_path_factory):
    require(wrk_path(), INSTALL_HINT)
    site = Site(
        tmp_path_factory.mktemp("live-load"),
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
        database_suffix="liveload",
        workers=2,
        access_log="/dev/null",
        extra_env=live.SERVER_ENV,
    )
    try:
        site.prepare()
        site.story = json.loads(site.seed(SEED).strip().splitlines()[-1])
        site.start()
        yield site
    finally:
        site.stop()


def test_pollers_see_every_update_with_no_errors(site):
    result, seen, posts = live.drive(
        site.base_url,
        site.story,
        connections=300,
        duration=10,
        every=1,
        poll_ms=2000,
        jitter_ms=1000,
        credentials=live.REPORTER,
    )
    posted = live.posted_ids(site, site.story["pk"], site.story["after"])
    assert len(posted) >= 3, posts
    assert all(post["status"] == 302 for post in posts), posts
    assert live.errors(result) == 0, (result.statuses, result.socket_errors)
    assert result.statuses.get(304, 0) > 0, result.statuses  # unchanged answers: no body
    assert set(posted) <= seen, sorted(set(posted) - seen)


@pytest.mark.server
def test_make_bench_measures_the_live_page_and_the_poll(tmp_path):
    """The bench's live story (500 updates) and its poll with a matching If-None-Match:
    every poll a 304 from the page cache (no errors, no queries)."""
    require(wrk_path(), INSTALL_HINT)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            *("--stories", "5", "--duration", "1", "--rounds", "1", "--no-cold-start"),
            # What is asserted is the cache-on table: one site, not one per mode.
            *("--cache", "on"),
            *("--pages", "live,live-poll", "--results", str(tmp_path)),
        ],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [raw] = tmp_path.glob("bench-*.json")
    rows = {row["page"]: row for row in json.loads(raw.read_text())["tables"]["on"]}
    assert rows["live-poll"]["errors"] == 0 and rows["live-poll"]["queries"] == 0
    assert rows["live"]["errors"] == 0 and rows["live"]["queries"] == 0
    assert rows["live-poll"]["bytes"] < 200  # a small answer


@pytest.mark.server
def test_a_text_post_answers_in_its_normal_time_while_a_photo_update_processes(tmp_path):
    """Two editors on one live story, on a SQLite file (one writer, real locks) behind
    gunicorn and `manage.py worker`: while a 24-megapixel photo update is stored and its
    renditions are made, the other editor's text posts answer about as fast as when
    nothing else happens (`make bench BENCH_ARGS="--workload live-photo"` reports it)."""
    from bench import live_photo
    from bench.photos import camera_like_jpeg

    site, story = live_photo.prepared_site(tmp_path / "site")
    worker = None
    try:
        site.start()
        worker = live_photo.start_worker(site)
        row = live_photo.measure(site, story, camera_like_jpeg(6000, 4000))
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        site.stop()
    assert row["photo_post_status"] == 302, row
    assert row["photo_shown_after_s"] is not None, row  # its renditions were made
    assert row["text_meanwhile_posts"] >= 1, row
    # Generous bounds against the idle time measured above: on today's main a post
    # waited for the photo's renditions (seconds), holding SQLite's write lock.
    assert row["text_meanwhile_median_s"] < 3 * row["text_idle_median_s"], row
    assert row["text_meanwhile_max_s"] < 0.5, row
