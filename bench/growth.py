"""The no-cache table: every public page built from the database on every request.

`make bench BENCH_ARGS="--compare 1000,100000"` (PostgreSQL) and the newsroom workload
(`--workload newsroom`, bench/newsroom.py, which runs it first) measure each page at
two archive sizes side by side (`<name>_bench_1000`, `<name>_bench_100000` beside a
PostgreSQL DATABASE_URL), one gunicorn each with no cache at all (`--cache none`,
the default here) or with the page cache off (`--cache off`), in interleaved rounds.
Each page's run at the small size is followed by a short run of the constant view on
the same server, so its ratio compares it with the framework floor under the same
outside load. Targets (issue 14): each page's share of the constant view at the small
size (bench/report.py, NO_CACHE_TARGETS), and at the large size a p50 within 1.3 × of
the small size's and under 15 ms: nothing scans the table.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench.report import NO_CACHE_TARGETS
from bench.server import drop_postgres_database, is_postgres
from bench.wrk import WrkResult, run_wrk

# Every public page type. "story_auto" shows automatic related headlines (ranked by
# shared tags); "sitemap" is the first stories file (up to 1,000 URLs);
# "sitemap_index" lists one file per 1,000 stories.
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
GROWTH_TARGET = 1.3
CEILING_MS = 15.0

_MODE_LABEL = {
    "off": "page cache off",
    "none": "no cache at all (every request reads the database)",
}


def _mode(args) -> str:
    return "off" if args.cache == "off" else "none"


def _sizes(text: str) -> tuple[int, int]:
    small, large = (int(part) for part in text.split(","))
    return small, large


def _p50(results: list[WrkResult]) -> float | None:
    """Median p50 over the rounds that answered at all."""
    answered = [r.latency_ms["p50"] for r in results if r.requests]
    return median(answered) if answered else None


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def drive(
    sites: dict, paths: dict[int, dict[str, str]], args, duration: float, pages=PAGES
) -> dict:
    """Each page at each size in turn, `args.rounds` times; after each page at the small
    size, a quarter as long of the constant view. Returns {size: {page: [WrkResult]}}
    and, under "constant", {page: [WrkResult]} of the runs paired with the small size."""
    from bench import run  # settle(): wait out what wrk left in flight

    small = min(sites)
    runs: dict = {size: {} for size in sites}
    runs["constant"] = {}
    for number in range(1, args.rounds + 1):
        for page in pages:
            for size, site in sites.items():
                path = paths[size][page]
                print(f"round {number}/{args.rounds}, {size:,} stories: {page} {path}", flush=True)
                result = run_wrk(
                    site.url(path),
                    duration=duration,
                    connections=args.connections,
                    threads=args.threads,
                )
                runs[size].setdefault(page, []).append(result)
                run.settle(site, result)
                if size == small:
                    reference = run_wrk(
                        site.url(paths[size]["constant"]),
                        duration=max(1.0, duration / 4),
                        connections=args.connections,
                        threads=args.threads,
                    )
                    runs["constant"].setdefault(page, []).append(reference)
                    run.settle(site, reference)
    return runs


def table(runs: dict, small: int, large: int, pages=PAGES) -> tuple[str, dict]:
    """The markdown table and its rows (for the JSON)."""
    lines = [
        f"| page | req/s at {small:,} | × constant | target | p50 ms at {small:,} "
        f"| p50 ms at {large:,} | growth × | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    rows = {}
    for page in pages:
        small_runs, large_runs = runs[small][page], runs[large][page]
        rps = median(r.requests_per_second for r in small_runs)
        constant = median(r.requests_per_second for r in runs["constant"][page])
        ratio = rps / constant if constant else None
        before, after = _p50(small_runs), _p50(large_runs)
        growth = after / before if before and after else None
        target = NO_CACHE_TARGETS.get(page)
        misses = []
        errors = any(
            r.non_2xx or r.total_socket_errors or not r.requests for r in (*small_runs, *large_runs)
        )
        if errors:
            misses.append("errors")
        if target is not None and (ratio or 0) < target:
            misses.append("speed")
        if growth is None or growth > GROWTH_TARGET:
            misses.append("growth")
        if after is None or after >= CEILING_MS:
            misses.append(f"≥ {CEILING_MS:g} ms")
        verdict = f"MISS ({', '.join(misses)})" if misses else "PASS"
        rows[page] = {
            "rps_small": round(rps, 1),
            "constant_rps": round(constant, 1),
            "ratio": round(ratio, 4) if ratio else None,
            "target": target,
            "p50_small_ms": before,
            "p50_large_ms": after,
            "growth": round(growth, 3) if growth else None,
            "verdict": verdict,
        }
        lines.append(
            f"| {page} | {rps:,.0f} | {'—' if ratio is None else f'{ratio:.3f}'} | "
            f"{'' if target is None else f'≥ {target:g}'} | {_ms(before)} | {_ms(after)} | "
            f"{'—' if growth is None else f'{growth:.2f}'} | ≤ {GROWTH_TARGET:g} ×, "
            f"< {CEILING_MS:g} ms | {verdict} |"
        )
    return "\n".join(lines) + "\n", rows


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
    contents = {}
    try:
        for size, site in sites.items():
            print(f"Seeding {size:,} stories ({engine}) …", flush=True)
            site.prepare()
            contents[size] = run.seed(site, size)
            site.start()
            run.warm_up(site, {page: contents[size]["paths"][page] for page in PAGES})
        paths = {size: content["paths"] for size, content in contents.items()}
        runs = drive(sites, paths, args, args.duration)
    finally:
        for site in sites.values():
            site.stop()
            if engine == "PostgreSQL" and not args.keep:
                drop_postgres_database(site.database_url)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    text, rows = table(runs, small, large)
    info = machine()
    heading = (
        f"No-cache table, commit {info['commit']}: {engine}, {_MODE_LABEL[_mode(args)]}, "
        f"gunicorn -w {args.workers} -k sync, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s, median of {args.rounds} interleaved round(s); "
        f"{info['cpus']} CPUs shared with wrk. Generating took "
        f"{contents[small]['generate_seconds']:.0f} s and "
        f"{contents[large]['generate_seconds']:.0f} s."
    )
    text = heading + "\n\n" + text
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"growth-{stamp}.md").write_text(text)
    raw = {
        "when": stamp,
        "machine": info,
        "database": engine,
        "sizes": [small, large],
        "contents": {str(size): content for size, content in contents.items()},
        "table": rows,
        "wrk_runs": {
            str(size): {page: [r.as_dict() for r in results] for page, results in pages.items()}
            for size, pages in runs.items()
        },
    }
    (args.results / f"growth-{stamp}.json").write_text(json.dumps(raw, indent=2) + "\n")
    print(f"\n{text}\nWritten to {args.results}/growth-{stamp}.md and .json")
    return 1 if any("errors" in row["verdict"] for row in rows.values()) else 0
