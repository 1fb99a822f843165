"""`make bench` keeps working: end to end at a tiny size, and its references stay out of
production. Timings are what the benchmark reports, never what a test asserts."""

import json
import os
import subprocess
import sys

import pytest
from django.contrib.staticfiles import finders
from django.urls import Resolver404, resolve

from bench.report import Row
from bench.server import ROOT
from bench.urls import CONSTANT_PATH
from bench.wrk import INSTALL_HINT, wrk_path
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
