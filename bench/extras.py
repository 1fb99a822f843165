"""The measurements beside the main table: bulk work, cold start and worker memory.

Each returns {"title", "markdown", "data"} for bench/results.py.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.pages import REFERENCES
from bench.server import ROOT, Site
from bench.wrk import run_wrk_requests

GENERATE_TARGET = (100_000, 180.0)  # stories, seconds
IMPORT_FILES, IMPORT_TARGET_S = 1000, 30.0
COLD_START_TARGET = 3.0  # first request ÷ warm median
MEMORY_TARGET = 0.10  # RSS growth over 20,000 requests
SEED_FILES = sorted((ROOT / "articles" / "demo").glob("*.txt"))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _section(title: str, header: str, lines: list[str], data: dict) -> dict:
    return {"title": title, "markdown": "\n".join([header, _rule(header), *lines]), "data": data}


def _rule(header: str) -> str:
    return "|" + "---|" * (header.count("|") - 1)


def generate_section(stories: int, content: dict) -> dict:
    """How long generating the benchmark stories took, against 100,000 in 3 minutes."""
    seconds = content["generate_seconds"]
    size, limit = GENERATE_TARGET
    rate = stories / seconds if seconds else 0.0
    projected = size / rate if rate else 0.0
    basis = "measured" if stories >= size else f"projected from {stories:,}"
    data = {
        "stories": stories,
        "seconds": seconds,
        "stories_per_second": round(rate),
        "seconds_for_100k": round(projected, 1),
    }
    line = (
        f"| generate {stories:,} stories | {seconds:.1f} s | 100,000 in {projected:.0f} s "
        f"({basis}) | < {limit:.0f} s | {_verdict(projected < limit)} |"
    )
    return _section("Bulk work", "| what | time | for the target | target | |", [line], data)


def import_files(site: Site) -> dict:
    """Time `manage.py import_stories` on 1,000 seed-format files (headlines varied)."""
    with tempfile.TemporaryDirectory(prefix="newsroom-import-") as folder:
        for number in range(IMPORT_FILES):
            source = SEED_FILES[number % len(SEED_FILES)].read_text(encoding="utf-8")
            lines = source.splitlines()
            # Related headlines come first as "- " lines; the headline is the next line.
            index = next(i for i, line in enumerate(lines) if not line.startswith("- "))
            lines[index] = f"{lines[index]} (bench copy {number})"
            path = Path(folder) / f"bench-import-{number:04d}.txt"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.monotonic()
        site.manage("import_stories", folder, "--status", "published", timeout=600)
        seconds = time.monotonic() - started
    data = {"files": IMPORT_FILES, "seconds": round(seconds, 2)}
    line = (
        f"| import {IMPORT_FILES:,} files (`manage.py import_stories`) | {seconds:.1f} s "
        f"| measured | < {IMPORT_TARGET_S:.0f} s | {_verdict(seconds < IMPORT_TARGET_S)} |"
    )
    return _section("Import", "| what | time | for the target | target | |", [line], data)


def _get_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def cold_start(site: Site, paths: dict[str, str], warm_count: int = 20) -> dict:
    """Restart gunicorn; each page's first request against the median of later ones."""
    site.stop()
    site.start(probe=False)
    pages = {name: path for name, path in paths.items() if name not in REFERENCES}
    first = {name: _get_ms(site.url(path)) for name, path in pages.items()}
    warm = {
        name: statistics.median(_get_ms(site.url(path)) for _ in range(warm_count))
        for name, path in pages.items()
    }
    site.stop()
    data = {
        name: {"first_ms": round(first[name], 1), "warm_ms": round(warm[name], 1)} for name in pages
    }
    lines = []
    for name in pages:
        ratio = first[name] / warm[name] if warm[name] else 0.0
        data[name]["ratio"] = round(ratio, 2)
        lines.append(
            f"| {name} | {first[name]:.1f} | {warm[name]:.1f} | {ratio:.1f} "
            f"| ≤ {COLD_START_TARGET:g} | {_verdict(ratio <= COLD_START_TARGET)} |"
        )
    return _section(
        "Cold start (cache off; pages in this order right after gunicorn starts)",
        "| page | first request ms | warm median ms | × warm | target | |",
        lines,
        data,
    )


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(site: Site, paths: dict[str, str], args) -> dict:
    """Worker RSS after a warm-up and again after `args.memory` more requests (cache off)."""
    pages = [path for name, path in paths.items() if name not in REFERENCES]
    site.start()
    try:
        run_wrk_requests(site.base_url, pages, 50 * len(pages), connections=args.connections)
        before = {pid: rss_kb(pid) for pid in site.wait_for_workers(args.workers)}
        runs = run_wrk_requests(site.base_url, pages, args.memory, connections=args.connections)
        after = {pid: rss_kb(pid) for pid in site.worker_pids()}
    finally:
        site.stop()
    sent = sum(run.requests for run in runs)
    errors = sum(run.non_2xx + run.total_socket_errors for run in runs)
    data = {"requests": sent, "errors": errors, "workers": {}}
    lines = []
    for pid, start_kb in before.items():
        end_kb = after.get(pid)
        growth = (end_kb - start_kb) / start_kb if end_kb and start_kb else None
        data["workers"][pid] = {"before_kb": start_kb, "after_kb": end_kb, "growth": growth}
        shown = "replaced" if growth is None else f"{growth:+.1%}"
        ok = growth is not None and growth < MEMORY_TARGET
        lines.append(
            f"| {pid} | {start_kb / 1024:.1f} | "
            f"{'—' if end_kb is None else f'{end_kb / 1024:.1f}'} | {shown} "
            f"| < {MEMORY_TARGET:.0%} | {_verdict(ok)} |"
        )
    return _section(
        f"Worker memory (cache off, {sent:,} requests over all pages, {errors} errors)",
        "| worker | RSS before MB | RSS after MB | growth | target | |",
        lines,
        data,
    )
