"""`make bench BENCH_ARGS="--compare 1000,100000"`: do pages stay flat as the archive grows?

Two databases side by side (`<name>_bench_1000`, `<name>_bench_100000` beside a
PostgreSQL DATABASE_URL), one cache-off gunicorn each, driven in interleaved rounds;
the table compares the median p50 of the pages that could scan the table.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench.server import drop_postgres_database, is_postgres
from bench.wrk import WrkResult, run_wrk

# Every public page type. "story_auto" shows automatic related headlines (ranked by
# shared tags); "sitemap" is the first stories file (up to 1,000 URLs);
# "sitemap_index" lists one file per 1,000 stories, so it grows with the archive.
PAGES = (
    "home",
    "latest",
    "deep",
    "section",
    "tag",
    "author",
    "story",
    "story_auto",
    "search",
    "feed",
    "sitemap",
    "sitemap_index",
)
TARGET = 1.3


# The page cache is always off here. "none" (`--cache none`) drops every cache, so each
# request reaches the database: the strictest test that nothing scans the table.
_MODE_LABEL = {"off": "cache off", "none": "no cache at all (every request reads the database)"}


def _mode(args) -> str:
    return "none" if args.cache == "none" else "off"


def _sizes(text: str) -> tuple[int, int]:
    small, large = (int(part) for part in text.split(","))
    return small, large


def _p50(results: list[WrkResult]) -> float | None:
    """Median p50 over the rounds that answered at all."""
    answered = [r.latency_ms["p50"] for r in results if r.requests]
    return median(answered) if answered else None


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def main(args, bench_site) -> int:
    from bench import run  # the seeding and warm-up helpers of the main command
    from bench.results import machine

    small, large = _sizes(args.compare)
    database_url = os.environ.get("DATABASE_URL")
    engine = "PostgreSQL" if is_postgres(database_url) else "SQLite"
    if engine != "PostgreSQL":
        print("Note: the growth target is defined on PostgreSQL; this runs on SQLite.")
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-growth-"))
    sites = {
        size: bench_site(workdir / str(size), args, _mode(args), suffix=f"bench_{size}")
        for size in (small, large)
    }
    runs: dict[int, dict[str, list[WrkResult]]] = {size: {} for size in sites}
    contents = {}
    try:
        for size, site in sites.items():
            print(f"Seeding {size:,} stories ({engine}) …", flush=True)
            site.prepare()
            contents[size] = run.seed(site, size)
            site.start()
            paths = {page: contents[size]["paths"][page] for page in PAGES}
            run.warm_up(site, paths)
        for number in range(1, args.rounds + 1):
            for page in PAGES:
                for size, site in sites.items():
                    path = contents[size]["paths"][page]
                    print(f"round {number}/{args.rounds}, {size:,} stories: {page} {path}")
                    result = run_wrk(
                        site.url(path),
                        duration=args.duration,
                        connections=args.connections,
                        threads=args.threads,
                    )
                    runs[size].setdefault(page, []).append(result)
                    run.settle(site, result)
    finally:
        for site in sites.values():
            site.stop()
            if engine == "PostgreSQL" and not args.keep:
                drop_postgres_database(site.database_url)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    p50 = {
        size: {page: _p50(results) for page, results in pages.items()}
        for size, pages in runs.items()
    }
    lines = [
        f"| page | p50 ms at {small:,} | p50 ms at {large:,} | × | target | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for page in PAGES:
        before, after = p50[small][page], p50[large][page]
        if before and after:
            ratio = after / before
            shown, verdict = f"{ratio:.2f}", "PASS" if ratio <= TARGET else "MISS"
        else:
            shown, verdict = "—", "ERROR (no answer within wrk's timeout)"
        lines.append(
            f"| {page} | {_ms(before)} | {_ms(after)} | {shown} | ≤ {TARGET:g} | {verdict} |"
        )
    info = machine()
    heading = (
        f"Growth, commit {info['commit']}: {engine}, {_MODE_LABEL[_mode(args)]}, "
        f"gunicorn -w {args.workers} "
        f"-k sync, wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, median of "
        f"{args.rounds} interleaved round(s); {info['cpus']} CPUs shared with wrk. "
        f"Generating took {contents[small]['generate_seconds']:.0f} s and "
        f"{contents[large]['generate_seconds']:.0f} s."
    )
    text = heading + "\n\n" + "\n".join(lines) + "\n"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"growth-{stamp}.md").write_text(text)
    raw = {
        "when": stamp,
        "machine": info,
        "database": engine,
        "sizes": [small, large],
        "contents": {str(size): content for size, content in contents.items()},
        "p50_ms": {str(size): values for size, values in p50.items()},
        "wrk_runs": {
            str(size): {page: [r.as_dict() for r in results] for page, results in pages.items()}
            for size, pages in runs.items()
        },
    }
    (args.results / f"growth-{stamp}.json").write_text(json.dumps(raw, indent=2) + "\n")
    print(f"\n{text}\nWritten to {args.results}/growth-{stamp}.md and .json")
    errors = any(
        r.non_2xx or r.total_socket_errors or not r.requests
        for p in runs.values()
        for rs in p.values()
        for r in rs
    )
    return 1 if errors else 0
