"""Wire ingest benchmark: items per second through the watched folder, and memory.

    .venv/bin/python -m bench.wire                       # 10,000 ninjs + 1,000 NewsML-G2
    .venv/bin/python -m bench.wire --ninjs 1000 --newsml 100 --no-process

Runs in a throwaway SQLite database (or DATABASE_URL with --use-database-url). Writes
the items as files in a folder, then times the two stages separately:

- receiving: `scan_folder` (read, parse, store the WireItem, enqueue its task, move
  the file), what `manage.py wire_ingest` does;
- processing: the background worker running every queued `process_wire_item` task
  (items with a draft made from an earlier version are updated).

Memory is the process's peak RSS after each thousand items: flat means the figures
stop growing after the first batch. Results go to bench/results/wire-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

NINJS = """{{"uri": "urn:bench:ninjs:{n}", "version": "{version}", "pubstatus": "usable",
 "urgency": {urgency}, "headline": "Bench ninjs item {n}: markets move on the news",
 "byline": "Agency Writer {author}",
 "body_html": "<p>Paragraph one of item {n}.</p><p>Paragraph two, with <b>bold</b>.</p>",
 "subject": [{{"code": "medtop:0400000{subject}", "name": "economy"}}]}}"""

NEWSML = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:bench:g2:{n}" version="1"
  standard="NewsML-G2" standardversion="2.33">
 <itemMeta><itemClass qcode="ninat:text"/><pubStatus qcode="stat:usable"/></itemMeta>
 <contentMeta><urgency>{urgency}</urgency><creator><name>G2 Writer {author}</name></creator>
  <subject qcode="medtop:20000151"><name>earthquake</name></subject>
  <headline>Bench NewsML-G2 item {n}</headline></contentMeta>
 <contentSet><inlineXML contenttype="application/xhtml+xml">
  <html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body>
   <p>Paragraph one of item {n}.</p><p>Paragraph two.</p></body></html>
 </inlineXML></contentSet>
</newsItem>"""


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_items(folder: Path, ninjs: int, newsml: int, corrected: int = 0):
    """`ninjs` items, the last `corrected` of them second versions of the first ones."""
    for n in range(ninjs):
        version, guid = (2, n - (ninjs - corrected)) if n >= ninjs - corrected else (1, n)
        text = NINJS.format(
            n=guid, version=version, urgency=n % 9 + 1, author=n % 50, subject=n % 10
        )
        (folder / f"ninjs-{n:05d}.json").write_text(text)
    for n in range(newsml):
        (folder / f"g2-{n:05d}.xml").write_text(
            NEWSML.format(n=n, urgency=n % 9 + 1, author=n % 20)
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ninjs", type=int, default=10_000)
    parser.add_argument("--newsml", type=int, default=1_000)
    parser.add_argument(
        "--corrected",
        type=int,
        default=1_000,
        help="How many of the ninjs items are second versions of earlier ones (drafts "
        "are made from the first versions, so the worker updates them).",
    )
    parser.add_argument("--no-process", action="store_true", help="Only time receiving.")
    parser.add_argument("--use-database-url", action="store_true")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="newsroom-wire-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-wire-only"),
        MEDIA_ROOT=str(workdir / "media"),
        PRIVATE_MEDIA_ROOT=str(workdir / "originals"),
        NEWSROOM_LOCAL_CACHE="memory",
        NEWSROOM_WIRE_ROOT=str(workdir),
    )
    if not args.use_database_url:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'db.sqlite3'}"
        os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from articles.models import Section
    from articles.wire.ingest import make_draft, scan_folder
    from articles.wire.models import WireItem, WireSource

    call_command("migrate", verbosity=0)
    section = Section.objects.create(name="Bench wire", slug="bench-wire")
    inbox = {"ninjs": workdir / "ninjs", "newsml": workdir / "newsml"}
    for folder in inbox.values():
        folder.mkdir()
    corrected = min(args.corrected, args.ninjs // 2)
    write_items(inbox["ninjs"], args.ninjs, 0, corrected)
    write_items(inbox["newsml"], 0, args.newsml)
    sources = [
        WireSource.objects.create(
            name=f"Bench {fmt}", slug=f"bench-{fmt}", format=fmt,
            default_section=section, folder=str(folder),
        )
        for fmt, folder in inbox.items()
    ]  # fmt: skip

    total = args.ninjs + args.newsml
    memory = [round(rss_mb(), 1)]
    started = time.perf_counter()
    received = 0
    for source in sources:
        counts = scan_folder(source, now=time.time() + 60)  # files are settled
        received += counts["received"]
        memory.append(round(rss_mb(), 1))
    receive_seconds = time.perf_counter() - started
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": total,
        "received": received,
        "rejected": WireItem.objects.filter(status="rejected").count(),
        "receive_seconds": round(receive_seconds, 2),
        "receive_items_per_second": round(total / receive_seconds, 1),
        "peak_rss_mb_after_each_source": memory,
    }
    if not args.no_process:
        # Drafts from the first versions that have a correction queued (not timed: an
        # editor's clicks), so processing updates real stories.
        for item in WireItem.objects.filter(
            source=sources[0], guid__in=[f"urn:bench:ninjs:{n}" for n in range(corrected)]
        ).filter(version=1):
            make_draft(item)
        started = time.perf_counter()
        call_command("worker", batch=True, startup_delay=False, verbosity=0)
        process_seconds = time.perf_counter() - started
        result |= {
            "queued_for_processing": corrected,
            "processed": WireItem.objects.filter(status="processed").count(),
            "process_seconds": round(process_seconds, 2),
            "process_tasks_per_second": round(corrected / process_seconds, 1),
            "end_to_end_items_per_second": round(total / (receive_seconds + process_seconds), 1),
            "peak_rss_mb_at_end": round(rss_mb(), 1),
        }
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"wire-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
