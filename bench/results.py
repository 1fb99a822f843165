"""Where `make bench` puts what it measured: a markdown report and the raw numbers as JSON."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.server import ROOT

CACHE_TITLES = {
    "none": "No cache at all (NEWSROOM_LOCAL_CACHE=none): every request built from the "
    "database, against the constant-HTML view",
    "off": "Cache off (NEWSROOM_PAGE_CACHE=0): each page against the constant-HTML view",
    "on": "Cache on (anonymous readers): each page against the static file (WhiteNoise)",
}


def _run(*command: str) -> str:
    try:
        return subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict:
    """The machine and the code measured; other work on the machine skews every figure."""
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    wrk = shutil.which("wrk")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": (_run(wrk, "--version").splitlines() or [""])[0] if wrk else "",
        "commit": _run("git", "rev-parse", "--short", "HEAD") or "unknown",
        "uncommitted_changes": bool(_run("git", "status", "--porcelain")),
    }


def heading(meta: dict, info: dict) -> str:
    dirty = " (with uncommitted changes)" if info["uncommitted_changes"] else ""
    return (
        f"Commit {info['commit']}{dirty}; {meta['database']}, {meta['stories']:,} public "
        f"stories; gunicorn -w {meta['gunicorn']['workers']} -k sync; wrk "
        f"-t{meta['wrk']['threads']} -c{meta['wrk']['connections']} "
        f"-d{meta['duration_s']:g}s, median of {meta['rounds']} interleaved round(s); "
        f"{info['cpus']} CPUs ({info['cpu_model'] or 'unknown'}) shared with wrk, "
        f"load average {meta['load_average_before']:.1f} before the run."
    )


def render(meta: dict, info: dict, tables: dict, sections: dict) -> str:
    parts = [heading(meta, info)]
    for mode, rows in tables.items():
        parts += [f"### {CACHE_TITLES[mode]}", report.markdown(mode, rows)]
    for section in sections.values():
        parts += [f"### {section['title']}", section["markdown"]]
    return "\n\n".join(parts) + "\n"


def write_results(
    folder: Path, meta: dict, tables: dict, sections: dict, raw: dict, measured: dict
) -> bool:
    """Print the report, write it and the raw numbers; True if anything errored."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    info = machine()
    text = render(meta, info, tables, sections)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"bench-{stamp}.md").write_text(text)
    data = {
        "when": stamp,
        "machine": info,
        **meta,
        "tables": {
            mode: [asdict(row) | {"verdict": row.verdict} for row in rows]
            for mode, rows in tables.items()
        },
        "extras": {name: section["data"] for name, section in sections.items()},
        "measured": measured,
        "wrk_runs": raw,
    }
    (folder / f"bench-{stamp}.json").write_text(json.dumps(data, indent=2) + "\n")
    print(f"\n{text}\nWritten to {folder}/bench-{stamp}.md and .json")
    return any(row.errors for rows in tables.values() for row in rows)
