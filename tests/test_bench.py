"""`make bench` keeps working: end to end at a tiny size, and its references stay out of
production. Timings are what the benchmark reports, never what a test asserts."""

import json
import os
import subprocess
import sys

import pytest
from django.contrib.staticfiles import finders
from django.urls import Resolver404, resolve

from bench import newsroom, report
from bench.report import Row
from bench.server import ROOT
from bench.urls import CONSTANT_PATH
from bench.wrk import INSTALL_HINT, WrkResult, wrk_path
from tests.conftest import require


def test_production_urls_do_not_serve_the_benchmark_reference():
    with pytest.raises(Resolver404):
        resolve(CONSTANT_PATH)


def test_benchmark_urls_serve_the_reference_beside_the_site():
    assert resolve(CONSTANT_PATH, urlconf="bench.urls").url_name == "bench_constant"
    assert resolve("/", urlconf="bench.urls").url_name == "home"


def test_production_static_files_leave_out_the_reference_file():
    assert finders.find("bench/reference.html") is None


def test_a_page_over_six_queries_misses_even_when_fast():
    row = Row("story", "/s/", 900, 1, 2, queries=7, bytes=1, ratio=2, target=0.25, errors=0)
    assert row.verdict == "MISS (queries)"


def _row(page, ratio):
    return Row(page, "/", 100.0, 5.0, 9.0, 2, 1000, ratio, None, 0)


def test_the_api_story_is_compared_with_the_story_page_built_alike():
    # The story page at 0.20 of the constant view, the API's story at 0.10: twice the time.
    table = [_row("story", 0.20), _row("api-story", 0.10), _row("constant", 1.0)]
    assert "api-story: 2.00 × the story page's time per request (target ≤ 1.5)" in (
        report.markdown("none", table)
    )
    # The API's story has its own floor, the story page's over 1.5.
    assert report.target_for("api-story", "none") == pytest.approx(0.16 / 1.5, abs=0.001)
    assert report.target_for("api-stories", "on") == report.CACHED_TARGET


@pytest.mark.server
def test_make_bench_runs_end_to_end_at_a_tiny_size(tmp_path):
    require(wrk_path(), INSTALL_HINT)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            *("--stories", "20", "--duration", "1", "--rounds", "1"),
            *("--pages", "home,home-utm,story", "--results", str(tmp_path)),
        ],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    for heading in ("### Cache off", "### Cache on", "### Bulk work", "### Cold start"):
        assert heading in result.stdout
    for page in ("home", "story", "constant", "static"):
        assert result.stdout.count(f"\n| {page} |") >= 2, page  # one row per cache mode
    [report] = tmp_path.glob("bench-*.md")
    assert "× constant" in report.read_text()
    [raw] = tmp_path.glob("bench-*.json")
    data = json.loads(raw.read_text())
    assert {row["page"] for row in data["tables"]["off"]} == {"home", "story", "constant", "static"}
    assert data["machine"]["commit"]
    # The front page with a new utm_campaign on every request: cache on only, all hits.
    [tracked] = [row for row in data["tables"]["on"] if row["page"] == "home-utm"]
    assert tracked["queries"] == 0 and tracked["errors"] == 0
    assert "home-utm (a new `utm_campaign` on every request): " in result.stdout


LATENCY = {"p50": 5.0, "p90": 8.0, "p99": 20.0, "max": 30.0, "mean": 6.0}


def _workload_row(name, rps, *, hits=95, misses=5, growth=1_000_000, saves=1):
    results = {
        "wrk": WrkResult("http://127.0.0.1:1/", 8, int(rps * 10), 10.0, LATENCY, {}, {200: 1}),
        "cache": {"hits": hits, "misses": misses, "uncached": 0},
        "memory_before": {"site_bytes": 0},
        "memory_after": {"site_bytes": growth},
        "saves": [{"ok": True, "ms": 100.0}] * saves if name == "saves" else [],
    }
    return name, [results]


def test_newsroom_workload_misses_when_saves_empty_the_cache():
    rows = newsroom.summarise(
        dict(
            [
                _workload_row("readers", 800),
                _workload_row("saves", 130, hits=49, misses=51),
                _workload_row("tracking", 790),
            ]
        )
    )
    assert rows["readers"]["verdict"] == "PASS"
    assert rows["saves"]["verdict"] == "MISS (throughput, hits)"
    assert rows["tracking"]["verdict"] == "PASS"


def test_newsroom_workload_misses_when_tracking_parameters_fill_the_cache():
    rows = newsroom.summarise(
        dict(
            [
                _workload_row("readers", 800),
                _workload_row("saves", 780),
                _workload_row("tracking", 790, hits=0, misses=100, growth=40_000_000),
            ]
        )
    )
    assert rows["saves"]["verdict"] == "PASS"
    assert rows["tracking"]["verdict"] == "MISS (memory)"


@pytest.mark.server
def test_newsroom_workload_runs_end_to_end_at_a_tiny_size(tmp_path):
    """Readers over weighted URLs, an editor saving through the admin, tracking links."""
    require(wrk_path(), INSTALL_HINT)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            *("--workload", "newsroom", "--stories", "20", "--duration", "1"),
            *("--warm-up", "1", "--save-every", "0.5", "--results", str(tmp_path)),
            *("--no-cache-small", "5", "--page-duration", "1"),
            *("--no-cache-pages", "home,sitemap_index"),
        ],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    for label in ("| readers only |", "| readers, one story saved every 0.5 s |", "utm_campaign"):
        assert label in result.stdout
    [report] = tmp_path.glob("newsroom-*.md")
    assert "page-cache hits" in report.read_text()
    [raw] = tmp_path.glob("newsroom-*.json")
    data = json.loads(raw.read_text())
    # Home, six sections, the tags and every demo and generated story, weighted 1/rank.
    assert data["readers"]["kinds"]["home"] == 1 and data["readers"]["kinds"]["stories"] > 20
    # The warm-up starts from an empty cache: the harness counts misses from X-Cache…
    warm_up = data["warm_up"]
    assert warm_up["cache"]["misses"] > 0 and warm_up["errors"] == 0
    assert warm_up["memory_before"]["site_bytes"] < warm_up["memory_after"]["site_bytes"]
    for name in ("readers", "saves", "tracking"):
        [run] = data["runs"][name]
        assert run["wrk"]["requests"] > 0 and run["errors"] == 0, name
        # … and hits, in every run.
        assert run["cache"]["hits"] > 0, name
        assert run["memory_after"]["site_bytes"] > 0, name
        # The constant view right after each run, to compare runs under the same load.
        assert run["reference"]["requests"] > 0 and run["reference"]["non_2xx"] == 0, name
    saves = data["runs"]["saves"][0]["saves"]
    # Real admin saves, every one accepted (redirected on, not back to the form).
    assert saves and all(save["ok"] and save["post_status"] == 302 for save in saves)
    assert data["runs"]["readers"][0]["saves"] == []
    # First, the no-cache table: every public page at both sizes, against the constant
    # view, every one answered.
    assert "No cache at all" in report.read_text()
    table = data["no_cache"]["table"]
    assert set(table) == {"home", "sitemap_index"}
    assert all(row["ratio"] and row["p50_large_ms"] for row in table.values())
    assert not any("errors" in row["verdict"] for row in table.values())
