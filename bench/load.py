"""Load benchmark: the production setup under wrk, page by page.

    .venv/bin/python -m bench.load                  # or: make bench-load
    .venv/bin/python -m bench.load --duration 30 --stories 5000 --pages home,story

Seeds a database of its own (SQLite in a temporary folder by default; with a PostgreSQL
DATABASE_URL, `<name>_bench` on that server, dropped afterwards) with the demo newsroom
plus generated stories, starts gunicorn with the production settings on a free loopback
port, and drives each page with wrk (16 connections, 10 s each by default). Prints a
table of requests per second, p50/p99 latency, non-2xx responses and socket errors, and
writes it with the raw numbers to bench/results/.

The pieces are reusable: `bench.server.Site` (database, static files, gunicorn),
`bench.seed` (content) and `bench.wrk` (runner and parser).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench.server import ROOT, Site, is_postgres
from bench.wrk import INSTALL_HINT, WrkResult, run_wrk, wrk_path

RESULTS = ROOT / "bench" / "results"
PAGES = ("home", "story", "tag", "search")


def seed(site: Site, stories: int) -> dict:
    """The demo newsroom plus `stories` generated ones; returns the pages to drive."""
    site.manage("load_demo")
    if stories:
        site.python(f"from bench.seed import generate_stories; generate_stories({stories})")
    output = site.python("from bench.seed import benchmark_paths; print(benchmark_paths())")
    return json.loads(output.strip().splitlines()[-1])


def warm_up(site: Site, paths: dict[str, str], rounds: int = 5) -> None:
    for _ in range(rounds):
        for path in paths.values():
            with urllib.request.urlopen(site.url(path), timeout=30) as response:
                response.read()


def table(results: dict[str, WrkResult]) -> str:
    lines = [
        "| page | path | req/s | p50 ms | p99 ms | requests | non-2xx | socket errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        path = result.url.split("/", 3)[-1]
        lines.append(
            f"| {name} | /{path} | {result.requests_per_second:.0f} "
            f"| {result.latency_ms['p50']:.1f} | {result.latency_ms['p99']:.1f} "
            f"| {result.requests} | {result.non_2xx} | {result.total_socket_errors} |"
        )
    return "\n".join(lines)


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per page (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--stories", type=int, default=1000, help="generated stories (1000)")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (gunicorn.conf.py default)"
    )
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write results")
    parser.add_argument(
        "--keep", action="store_true", help="keep the site folder (and PostgreSQL database)"
    )
    args = parser.parse_args(argv)

    if wrk_path() is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2

    database_url = os.environ.get("DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    extra_env = {} if args.workers is None else {"GUNICORN_WORKERS": str(args.workers)}
    site = Site(
        workdir,
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL"),
        database_suffix="bench",
        workers=None,
        keep_database=args.keep,
        extra_env=extra_env,
    )
    engine = "PostgreSQL" if is_postgres(database_url) else "SQLite"
    load_before = os.getloadavg()[0]
    results: dict[str, WrkResult] = {}
    try:
        started = time.monotonic()
        print(f"Seeding a {engine} database in {workdir} …", flush=True)
        site.prepare()
        content = seed(site, args.stories)
        site.start()
        workers = len(site.worker_pids())
        print(
            f"Ready in {time.monotonic() - started:.1f} s: {content['stories']} public stories, "
            f"gunicorn with {workers} workers at {site.base_url}",
            flush=True,
        )
        wanted = [name.strip() for name in args.pages.split(",") if name.strip()]
        paths = {name: content["paths"][name] for name in wanted if name in content["paths"]}
        for name in set(wanted) - set(paths):
            print(f"(no {name} page in this tree: skipped)")
        warm_up(site, paths)
        for name, path in paths.items():
            print(f"wrk {args.duration:g} s, {args.connections} connections: {path}", flush=True)
            results[name] = run_wrk(
                site.url(path),
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
            )
    finally:
        site.stop()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(workdir)], check=False)

    report = table(results)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    meta = {
        "when": stamp,
        "commit": git_commit(),
        "database": engine,
        "cache": "Redis" if os.environ.get("REDIS_URL") else "local memory",
        "gunicorn_workers": workers,
        "wrk": {"connections": args.connections, "threads": args.threads},
        "duration_s": args.duration,
        "public_stories": content["stories"],
        "cpus": os.cpu_count(),
        # Other work on the machine skews every figure: say how busy it was.
        "load_average_before": round(load_before, 2),
        "python": platform.python_version(),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"load-{stamp}.json").write_text(
        json.dumps({**meta, "results": {n: r.as_dict() for n, r in results.items()}}, indent=2)
        + "\n"
    )
    heading = (
        f"Load, {stamp}, commit {meta['commit']}: {engine}, {meta['cache']} cache, "
        f"{workers} gunicorn workers, {meta['public_stories']} stories, wrk "
        f"{args.connections} connections × {args.duration:g} s per page, {meta['cpus']} CPUs "
        f"(wrk shares them; load average {load_before:.1f} before the run)."
    )
    (args.results / f"load-{stamp}.md").write_text(f"{heading}\n\n{report}\n")
    print(f"\n{heading}\n\n{report}\n\nWritten to {args.results}/load-{stamp}.md and .json")
    failed = any(r.non_2xx or r.total_socket_errors for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
