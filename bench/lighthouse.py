"""Lighthouse performance of the home page and a story page, on the demo site.

    .venv/bin/python -m bench.lighthouse              # or: make bench-lighthouse
    .venv/bin/python -m bench.lighthouse --runs 5 --threshold 98

Serves the demo (`load_demo`) through gunicorn with production settings on a free
loopback port (bench/server.py), then runs Lighthouse from npm (package.json) with its
defaults — mobile form factor, simulated throttling — in Debian's Chromium, headless
(CHROME_PATH, /usr/bin/chromium unless set; never a downloaded browser). Prints each
page's median performance score over the runs with the audits that make it (total
blocking time, style and layout time, DOM size), writes the figures to
bench/results/lighthouse-<time>.json, and exits 1 when a median is below the threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.server import ROOT, Site

RESULTS = ROOT / "bench" / "results"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)


def run_lighthouse(url: str, chrome_path: str, workdir: Path) -> dict:
    """One Lighthouse run of `url`: the score (0-100) and the audits behind it."""
    report = workdir / "report.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=performance",
        "--output=json",
        f"--output-path={report}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    # Chromium now and then fails to start on a loaded machine: one more try.
    for attempt in (1, 2):
        result = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "CHROME_PATH": chrome_path},
            capture_output=True,
            text=True,
            timeout=180,
        )
        if result.returncode == 0:
            break
        if attempt == 2:
            raise RuntimeError(f"Lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    data = json.loads(report.read_text())
    audits = data["audits"]
    breakdown = {
        item["group"]: round(item["duration"])
        for item in audits["mainthread-work-breakdown"]["details"]["items"]
    }
    return {
        "score": round(data["categories"]["performance"]["score"] * 100),
        "total_blocking_time_ms": round(audits["total-blocking-time"]["numericValue"]),
        "style_layout_ms": breakdown.get("styleLayout", 0),
        "main_thread_ms": round(audits["mainthread-work-breakdown"]["numericValue"]),
        "dom_elements": int(audits["dom-size"]["numericValue"]),
        "largest_contentful_paint_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "cumulative_layout_shift": round(audits["cumulative-layout-shift"]["numericValue"], 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page (median kept)")
    parser.add_argument("--threshold", type=int, default=98, help="lowest passing score")
    args = parser.parse_args(argv)

    chrome_path = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not Path(chrome_path).exists():
        print(f"No Chromium at {chrome_path}: apt-get install chromium, or set CHROME_PATH.")
        return 2
    if not LIGHTHOUSE.exists():
        print("Lighthouse is not installed: npm ci --ignore-scripts (package.json).")
        return 2

    figures: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="newsroom-lighthouse-") as tmp:
        workdir = Path(tmp)
        with Site(workdir / "site", workers=2) as site:
            site.prepare()
            site.manage("load_demo")
            story_path = site.python(
                "from articles.models import Story\n"
                "print(Story.objects.published().order_by('-published_at')"
                ".first().get_absolute_url())"
            ).strip()
            site.start()
            pages = {"home": "/", "story": story_path}
            for name, path in pages.items():
                figures[name] = []
                for _ in range(args.runs):
                    run_dir = workdir / "runs"
                    shutil.rmtree(run_dir, ignore_errors=True)
                    run_dir.mkdir()
                    figures[name].append(run_lighthouse(site.url(path), chrome_path, run_dir))

    failed = False
    summary = {}
    for name, runs in figures.items():
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        summary[name] = {"median": median, "runs": runs}
        ok = median["score"] >= args.threshold
        failed |= not ok
        print(
            f"{name:6} performance {median['score']:5.1f} "
            f"(runs {', '.join(str(run['score']) for run in runs)}; "
            f"TBT {median['total_blocking_time_ms']:.0f} ms, "
            f"style & layout {median['style_layout_ms']:.0f} ms of "
            f"{median['main_thread_ms']:.0f} ms main thread, "
            f"{median['dom_elements']:.0f} elements, "
            f"LCP {median['largest_contentful_paint_ms']:.0f} ms, "
            f"CLS {median['cumulative_layout_shift']})"
            f"{'' if ok else f'  BELOW {args.threshold}'}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"lighthouse-{stamp}.json"
    out.write_text(json.dumps({"threshold": args.threshold, "pages": summary}, indent=2))
    print(f"Figures written to {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
