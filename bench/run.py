"""`make bench`: every public page type against the two references, cache off and on.

    make bench                                   # 1,000 stories, 3 rounds × 20 s a page
    make bench BENCH_ARGS="--stories 10000 --duration 10 --rounds 1 --pages home,story"
    make bench BENCH_ARGS="--memory 20000 --bulk"     # also worker memory and bulk work
    DATABASE_URL=postgres://… make bench BENCH_ARGS="--compare 1000,100000"   # growth
    DATABASE_URL=postgres://… REDIS_URL=redis://… \
      make bench BENCH_ARGS="--workload newsroom --stories 100000"   # bench/newsroom.py
    make bench BENCH_ARGS="--workload live"      # 2,000 pollers of a live story (bench/live.py)
    make bench BENCH_ARGS="--workload live-photo"  # text post during a photo (bench/live_photo.py)
    make bench BENCH_ARGS="--workload bulk-upload"  # 30 camera photos in one upload
    make bench BENCH_ARGS="--workload photo-save"  # a story save while renditions are made

Seeds a database of its own (SQLite in a temporary folder, or `<name>_bench` beside a
PostgreSQL DATABASE_URL) with the demo newsroom plus generated stories, then runs one
gunicorn per cache mode (`-w 2 -k sync`, production settings plus the two references of
`bench/settings.py`) on free loopback ports. wrk (`-t1 -c8`) drives each page for
`--duration` seconds, all pages of both modes in turn, `--rounds` times; the table shows
medians, the queries and bytes of one request, and each ratio against issue 8's targets.
Results (markdown and JSON with the raw numbers) go to bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import extras, growth, live, live_photo, newsroom, photos, report
from bench.pages import CACHE_ON_ONLY, LUA, PAGES, REFERENCES
from bench.results import write_results
from bench.server import LOAD_DEMO, ROOT, Site, drop_postgres_database, is_postgres
from bench.wrk import INSTALL_HINT, WrkResult, run_wrk, wrk_path

RESULTS = ROOT / "bench" / "results"
# "off": the page cache off (fragments, kept until their cache tags are purged, still
# answer);
# "none": no cache at all, every request built from the database (no target: a
# diagnosis of what the fragments save).
MODES = {
    "off": ("off",),
    "on": ("on",),
    "none": ("none",),
    "both": ("off", "on"),
    "all": ("none", "off", "on"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make bench", description=__doc__.split("\n\n")[0], epilog=f"pages: {PAGES}"
    )
    add = parser.add_argument
    add("--stories", type=int, default=1000, help="generated stories (1000)")
    add(
        "--workload",
        choices=("pages", "newsroom", "live", "live-photo", "bulk-upload", "photo-save"),
        default="pages",
        help="pages: each page type alone (default); newsroom: readers over many pages, "
        "with saves and with tracking parameters (bench/newsroom.py); live: 2,000 readers "
        "polling a live story while an update is posted every --save-every s (bench/live.py); "
        "live-photo: a text post while a photo update processes; bulk-upload, photo-save: "
        "bench/photos.py (make bench-photos runs all of it)",
    )
    add(
        "--duration",
        type=float,
        help="wrk seconds per page and round (20); per run with --workload newsroom (60)",
    )
    add(
        "--rounds",
        type=int,
        help="interleaved rounds; the table shows medians (3; 1 with --workload newsroom)",
    )
    add(
        "--warm-up",
        type=float,
        metavar="SECONDS",
        help="--workload newsroom: readers filling the cache before the runs (360: longer "
        "than the page cache's lifetime)",
    )
    add(
        "--no-cache-table",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="--workload newsroom: first, every page with no cache at all at 1,000 stories "
        "and at --stories, against the constant view (bench/growth.py; on)",
    )
    add(
        "--no-cache-small",
        type=int,
        default=1000,
        metavar="N",
        help="--workload newsroom: stories in the no-cache table's small archive (1000)",
    )
    add(
        "--no-cache-pages",
        default=",".join(growth.PAGES),
        metavar="PAGES",
        help="--workload newsroom: the no-cache table's pages (all of bench/growth.py's)",
    )
    add(
        "--page-duration",
        type=float,
        default=10,
        metavar="SECONDS",
        help="--workload newsroom: wrk seconds per page in the no-cache table (10)",
    )
    add(
        "--save-every",
        type=float,
        default=5,
        metavar="SECONDS",
        help="--workload newsroom: an editor saves a story this often in the saves run (5)",
    )
    add(
        "--cache",
        choices=tuple(MODES),
        default="both",
        help="page cache off, on or both; none: no cache at all; all: the three",
    )
    add("--pages", default=",".join(PAGES), help="comma-separated subset of the pages")
    add("--connections", type=int, default=8, help="wrk connections (8)")
    add("--threads", type=int, default=1, help="wrk threads (1)")
    add("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    add(
        "--cold-start",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time the first requests after a restart against warm ones (on)",
    )
    add(
        "--memory",
        type=int,
        default=0,
        metavar="N",
        help="worker RSS before and after N more requests (0: skip; the target is for 20000)",
    )
    add("--bulk", action="store_true", help="also time importing 1,000 seed-format files")
    add(
        "--compare",
        metavar="A,B",
        help="growth mode: p50 of key pages at A and B stories (e.g. 1000,100000; PostgreSQL)",
    )
    add("--results", type=Path, default=RESULTS, help="where results go (bench/results)")
    add("--keep", action="store_true", help="keep the site folder and PostgreSQL database")
    args = parser.parse_args(argv)
    newsroom_workload = args.workload == "newsroom"
    if args.duration is None:
        args.duration = {"newsroom": 60, "live": 45}.get(args.workload, 20)
    if args.rounds is None:
        args.rounds = 1 if newsroom_workload else 3
    args.page_list = [name.strip() for name in args.pages.split(",") if name.strip()]
    unknown = set(args.page_list) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages {sorted(unknown)}; choose from {', '.join(PAGES)}")
    return args


def bench_site(workdir: Path, args, cache: str, suffix: str = "bench", **env: str) -> Site:
    """A production-settings gunicorn on the shared database of `workdir`."""
    return Site(
        workdir,
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
        database_suffix=suffix,
        workers=args.workers,
        threads=1,  # one thread: gunicorn's sync worker, not gthread
        # The production log format, written where it cannot fill the disk.
        access_log="/dev/null",
        # Several sites share one database; main() drops it once they are all done.
        keep_database=True,
        extra_env={
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "NEWSROOM_PAGE_CACHE": "1" if cache == "on" else "0",
            **({"NEWSROOM_LOCAL_CACHE": "none"} if cache == "none" else {}),
            **env,
        },
    )


def pages_of(mode: str, paths: dict[str, str]) -> dict[str, str]:
    """The pages measured in `mode`: those about how the cache keys them only with it on."""
    return {name: path for name, path in paths.items() if mode == "on" or name not in CACHE_ON_ONLY}


def seed(site: Site, stories: int) -> dict:
    """Demo newsroom plus `stories` generated ones; the paths and how long generating took."""
    # A seed: the test suite's runs copy one demo newsroom (bench/server.py, templates).
    site.seed(LOAD_DEMO, timeout=1800)
    # Timed inside the process: what generating costs, not Django's start-up. The paths
    # in the same process: one start-up less.
    printed = site.python(
        "import time; from bench.seed import generate_stories; started = time.monotonic(); "
        f"generate_stories({stories}); print(time.monotonic() - started)\n"
        "from bench.page_paths import benchmark_paths; print(benchmark_paths())",
        timeout=1800,
    )
    *_, timed, paths = printed.strip().splitlines()
    return {**json.loads(paths), "generate_seconds": round(float(timed), 2)}


def measure(site: Site, paths: dict[str, str], cache: str) -> dict:
    code = (
        f"from bench.page_paths import measure_pages; "
        f"print(measure_pages({paths!r}, cached={cache == 'on'}))"
    )
    return json.loads(site.python(code).strip().splitlines()[-1])


def start_all(sites, timeout: float = 20) -> None:
    """Start every site at once (each waits for its own gunicorn): nothing is measured
    while they start, and each start is mostly waiting."""
    sites = list(sites)
    with ThreadPoolExecutor(len(sites) or 1) as pool:
        for started in [pool.submit(site.start, timeout) for site in sites]:
            started.result()


def warm_up(site: Site, paths: dict[str, str], requests: int = 5) -> None:
    """A few requests a page; one that fails is reported here and counted by wrk later."""
    for name, path in paths.items():
        for _ in range(requests):
            started = time.monotonic()
            try:
                with urllib.request.urlopen(site.url(path), timeout=60) as response:
                    response.read()
            except OSError as error:  # HTTPError, a reset by a timed-out worker, …
                seconds = time.monotonic() - started
                print(f"warm-up: {name} {path} failed after {seconds:.1f} s: {error}")
                break


def settle(site: Site, result: WrkResult) -> None:
    """Wait out the requests wrk left in flight, so they do not slow the next page.

    wrk stops at its deadline with a request per connection unanswered; sync workers
    finish them anyway. With every worker busy, that leftover work takes about one mean
    latency (seconds, on a big sitemap). Then a request to /healthz queues behind them.
    """
    latency_s = result.latency_ms["mean"] / 1000 if result.requests else result.duration_s
    time.sleep(min(120.0, 1.5 * latency_s))
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(site.url("/healthz"), timeout=120) as response,
    ):
        response.read()


def drive(sites: dict[str, Site], paths: dict[str, str], args) -> tuple[dict, dict]:
    """Every page of every mode in turn, `args.rounds` times.

    Returns two maps mode → page → one WrkResult per round: the page's own runs, and a
    short run of the mode's reference right after each page (the load the rest of the
    machine puts on the page, it also puts on its reference).
    """
    runs = {mode: {page: [] for page in pages_of(mode, paths)} for mode in sites}
    pairs = {mode: {page: [] for page in pages_of(mode, paths)} for mode in sites}

    def wrk(site: Site, path: str, duration: float, lua: str = "") -> WrkResult:
        result = run_wrk(
            site.url(path),
            duration=duration,
            connections=args.connections,
            threads=args.threads,
            lua=lua,
        )
        settle(site, result)
        return result

    for number in range(1, args.rounds + 1):
        for mode, site in sites.items():
            reference = paths[report.REFERENCE_OF[mode]]
            for page, path in pages_of(mode, paths).items():
                print(f"round {number}/{args.rounds}, cache {mode}: {page} {path}", flush=True)
                runs[mode][page].append(wrk(site, path, args.duration, LUA.get(page, "")))
                if page not in REFERENCES:
                    pairs[mode][page].append(wrk(site, reference, max(1, args.duration / 4)))
    return runs, pairs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if wrk_path() is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    if args.compare:
        return growth.main(args, bench_site)
    if args.workload == "newsroom":
        return newsroom.main(args, bench_site)
    if args.workload == "live":
        return live.main(args, bench_site)
    if args.workload == "live-photo":
        return live_photo.main(args)
    if args.workload in ("bulk-upload", "photo-save"):
        return photos.main(["--only", {"bulk-upload": "bulk", "photo-save": "save"}[args.workload]])

    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    engine = "PostgreSQL" if is_postgres(os.environ.get("DATABASE_URL")) else "SQLite"
    load_before = os.getloadavg()[0]
    sites = {mode: bench_site(workdir, args, mode) for mode in MODES[args.cache]}
    primary = next(iter(sites.values()))
    extra_sections: dict[str, dict] = {}
    try:
        print(f"Seeding a {engine} database in {workdir} …", flush=True)
        primary.prepare()
        content = seed(primary, args.stories)
        paths = {name: content["paths"][name] for name in (*args.page_list, *REFERENCES)}
        measured = {
            mode: measure(site, pages_of(mode, paths), mode) for mode, site in sites.items()
        }
        start_all(sites.values())
        for mode, site in sites.items():
            warm_up(site, pages_of(mode, paths))
        runs, pairs = drive(sites, paths, args)
        extra_sections["bulk"] = extras.generate_section(args.stories, content)
        if args.cold_start and "off" in sites:
            extra_sections["cold_start"] = extras.cold_start(sites["off"], pages_of("off", paths))
        for site in sites.values():
            site.stop()
        if args.memory:
            memory_site = bench_site(workdir, args, "off", GUNICORN_MAX_REQUESTS="0")
            extra_sections["memory"] = extras.memory(memory_site, pages_of("off", paths), args)
        if args.bulk:
            extra_sections["import"] = extras.import_files(primary)
    finally:
        for site in sites.values():
            site.stop()
        if not args.keep:
            if engine == "PostgreSQL":
                drop_postgres_database(primary.database_url)
            shutil.rmtree(workdir, ignore_errors=True)

    tables = {
        mode: report.rows(mode, pages_of(mode, paths), runs[mode], pairs[mode], measured[mode])
        for mode in sites
    }
    meta = {
        "database": engine,
        "stories": content["stories"],
        "generated": args.stories,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "wrk": {"threads": args.threads, "connections": args.connections},
        "gunicorn": {"workers": args.workers, "worker_class": "sync"},
        "load_average_before": round(load_before, 2),
    }
    raw = {
        kind: {
            mode: {p: [r.as_dict() for r in rs] for p, rs in found[mode].items()} for mode in found
        }
        for kind, found in (("pages", runs), ("reference_after_each_page", pairs))
    }
    failed = write_results(args.results, meta, tables, extra_sections, raw, measured)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
