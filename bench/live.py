"""`make bench BENCH_ARGS="--workload live"`: thousands of readers polling a live story.

    make bench BENCH_ARGS="--workload live"                       # 2,000 pollers, 45 s
    make bench BENCH_ARGS="--workload live --connections 500 --duration 30"

One production-settings gunicorn (page cache on, threaded workers: `SERVER_ENV`) with a
live story. wrk opens
`--connections` connections (2,000 by default), each a reader's page: it polls
`/stories/<slug>/updates/?after=<newest seen>` every `POLL_MS` plus up to `JITTER_MS`
(wrk's `delay()`), the first poll spread over the same interval, sending the ETag it
holds as If-None-Match, as static/js/live.js does. Meanwhile a reporter posts an
update through the admin every `--save-every` seconds (5). Reported: requests, 304s,
errors (anything but 200/304, and socket errors), p50/p99 latency, and whether every
posted update reached the pollers. Loopback only, bounded by `--duration`.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.server import Site, drop_postgres_database, is_postgres
from bench.wrk import WrkResult, run_wrk_with_output

REPORTER = ("bench-live-reporter", "bench-live-password-5d2a")
POLL_MS = 15_000
JITTER_MS = 5_000
# 2,000 open connections straight to gunicorn (no proxy in front): wrk connects every
# poller at the start and holds its connection between polls. A sync worker (or a
# gthread one with a few threads) is held by a connection that has not sent its request
# yet, so the run uses threaded workers with a thread per connection (a thread waiting
# for a socket costs no CPU) and keep-alive longer than a poll interval: between polls
# a connection waits in the worker's poller. In production a buffering proxy (nginx)
# in front does this, and the sync workers only ever see whole requests.
# Threads that rendered a poll after a purge close their database connection at once:
# a thousand threads must not each keep one (PostgreSQL's max_connections).
SERVER_ENV = {
    "DATABASE_CONN_MAX_AGE": "0",
    "GUNICORN_THREADS": "1000",
    "GUNICORN_KEEPALIVE": "30",
    "GUNICORN_CMD_ARGS": "--worker-connections 1100",
}
WRK_THREADS = 2
# What the issue asks of the run.
P99_TARGET_MS = 50

SEED = """
import json
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.utils import timezone
from articles.live.models import LiveUpdate
from articles.models import Section, Story
reporter = User.objects.create_user({username!r}, password={password!r}, is_staff=True)
reporter.groups.add(Group.objects.get(name="Reporter"))
section = Section.objects.get_or_create(name="Live", slug="live")[0]
now = timezone.now()
story = Story.objects.create(
    headline="Election night, live", dek="Results as they come in.", section=section,
    status="published", published_at=now - timedelta(hours=1),
    live_started_at=now - timedelta(hours=1), created_by=reporter,
)
first = LiveUpdate.objects.create(story=story, body="<p>Polls have closed.</p>")
print(json.dumps({{"pk": story.pk, "slug": story.slug, "after": first.pk}}))
"""

# Each connection a reader: a delay before every poll (the first one too, so the
# pollers start spread out), If-None-Match with the last ETag, and `after` moved to the
# newest update seen. Ids seen are gathered for `done` (appended to bench.wrk's script).
POLL_LUA = r"""
local report_done = done
local report_response = response
poll_path = "%(path)s"
after = "%(after)s"
etag = nil
seen = {}
local started = 0

function delay()
  -- A thread's first polls, one per connection, spread over a whole interval (readers
  -- opened the page at different moments); then every interval plus jitter.
  started = started + 1
  if started <= %(per_thread)d then
    return math.random(0, %(poll)d + %(jitter)d)
  end
  return %(poll)d + math.random(0, %(jitter)d)
end

function request()
  local headers = {}
  if etag then headers["If-None-Match"] = etag end
  return wrk.format("GET", poll_path .. "?after=" .. after, headers)
end

function response(status, headers, body)
  report_response(status, headers, body)
  if status == 200 then
    etag = headers["ETag"] or headers["etag"]
    for id in string.gmatch(body, '"id": (%%d+)') do seen[id] = true end
    local latest = string.match(body, '"latest": (%%d+)')
    if latest then after = latest end
  end
end

function done(summary, latency, requests)
  report_done(summary, latency, requests)
  local ids = {}
  for _, thread in ipairs(threads) do
    for id, _ in pairs(thread:get("seen") or {}) do ids[id] = true end
  end
  local list = {}
  for id, _ in pairs(ids) do table.insert(list, id) end
  io.write("LIVE_SEEN [" .. table.concat(list, ",") .. "]\n")
end
"""


def poll_lua(path, after, connections, threads, poll_ms=POLL_MS, jitter_ms=JITTER_MS) -> str:
    return POLL_LUA % {
        "path": path,
        "after": after,
        "poll": poll_ms,
        "jitter": jitter_ms,
        "per_thread": -(-connections // threads),
    }


def seen_ids(output: str) -> set[int]:
    line = next(line for line in output.splitlines() if line.startswith("LIVE_SEEN "))
    return set(json.loads(line.removeprefix("LIVE_SEEN ")))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Reporter(threading.Thread):
    """A reporter logged in to the admin, posting an update every `every` seconds."""

    def __init__(
        self, site_url: str, story_pk: int, every: float, credentials=REPORTER, until=None
    ):
        super().__init__(daemon=True)
        # No post after this moment (time.monotonic()): the pollers still get to see it.
        self.until = until
        self.site_url, self.story_pk, self.every = site_url, story_pk, every
        self.credentials = credentials
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )
        self.posts: list[dict] = []
        self.stopping = threading.Event()

    def _request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.site_url + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def _token(self, page):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def log_in(self):
        _, page = self._request("/admin/login/")
        username, password = self.credentials
        status, page = self._request(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password, "csrfmiddlewaretoken": self._token(page)},
        )
        if status != 302:
            raise RuntimeError(f"The reporter could not log in ({status}): {page[:300]}")

    def post_one(self, number):
        path = f"/admin/articles/story/{self.story_pk}/live/"
        _, page = self._request(path)
        started = time.monotonic()
        status, _ = self._request(
            path,
            {
                "body": f"Update {number}: another result declared.",
                "csrfmiddlewaretoken": self._token(page),
            },
        )
        return {"status": status, "ms": round((time.monotonic() - started) * 1000, 1)}

    def run(self):
        started, number = time.monotonic(), 1
        while not self.stopping.wait(max(0.0, started + number * self.every - time.monotonic())):
            if self.until is not None and time.monotonic() > self.until:
                break
            try:
                self.posts.append(self.post_one(number))
            except OSError as error:
                self.posts.append({"status": 0, "error": repr(error)})
            number += 1

    def stop(self):
        self.stopping.set()
        self.join(60)


def drive(site_url, story, *, connections, duration, every, poll_ms, jitter_ms, credentials):
    """Pollers and a reporter for `duration` seconds: (WrkResult, ids seen, posts)."""
    # No post in the last two seconds: thousands of pollers ask every few milliseconds
    # between them, but one posted as wrk stops would not be asked for.
    until = time.monotonic() + duration - 2
    reporter = Reporter(site_url, story["pk"], every, credentials, until=until)
    reporter.log_in()
    reporter.start()
    try:
        path = f"/stories/{story['slug']}/updates/"
        result, output = run_wrk_with_output(
            site_url + path,
            duration=duration,
            connections=connections,
            threads=WRK_THREADS,
            timeout=10,
            lua=poll_lua(path, story["after"], connections, WRK_THREADS, poll_ms, jitter_ms),
        )
    finally:
        reporter.stop()
    return result, seen_ids(output), reporter.posts


def posted_ids(site: Site, story_pk: int, after: int) -> list[int]:
    code = (
        "from articles.live.models import LiveUpdate; import json; print(json.dumps(list("
        f"LiveUpdate.objects.filter(story_id={story_pk}, pk__gt={after})"
        ".order_by('pk').values_list('pk', flat=True))))"
    )
    return json.loads(site.python(code).strip().splitlines()[-1])


def errors(result: WrkResult) -> int:
    unexpected = sum(n for status, n in result.statuses.items() if status not in (200, 304))
    return unexpected + result.total_socket_errors


def summary(result, seen, posted, posts, *, connections, duration, every) -> dict:
    # An update posted in the last poll interval may not have been asked for yet.
    return {
        "connections": connections,
        "duration_s": duration,
        "post_every_s": every,
        "requests": result.requests,
        "requests_per_second": round(result.requests_per_second, 1),
        "not_modified": result.statuses.get(304, 0),
        "ok": result.statuses.get(200, 0),
        "errors": errors(result),
        "p50_ms": result.latency_ms["p50"],
        "p99_ms": result.latency_ms["p99"],
        "max_ms": result.latency_ms["max"],
        "posted": len(posted),
        "posts_failed": sum(1 for post in posts if post.get("status") != 302),
        "seen": len(set(posted) & seen),
        "missed": sorted(set(posted) - seen),
    }


def main(args, bench_site) -> int:
    connections = args.connections if args.connections != 8 else 2000
    duration = args.duration or 45
    every = args.save_every
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-live-"))
    site = bench_site(workdir / "site", args, "on", suffix="bench_live", **SERVER_ENV)
    try:
        site.prepare()
        username, password = REPORTER
        story = json.loads(
            site.python(SEED.format(username=username, password=password)).strip().splitlines()[-1]
        )
        site.start()
        print(
            f"{connections} pollers every {POLL_MS / 1000:g}–{(POLL_MS + JITTER_MS) / 1000:g} s "
            f"for {duration:g} s, an update every {every:g} s …",
            flush=True,
        )
        result, seen, posts = drive(
            site.base_url,
            story,
            connections=connections,
            duration=duration,
            every=every,
            poll_ms=POLL_MS,
            jitter_ms=JITTER_MS,
            credentials=REPORTER,
        )
        posted = posted_ids(site, story["pk"], story["after"])
    finally:
        site.stop()
        if is_postgres(os.environ.get("DATABASE_URL")) and not args.keep:
            drop_postgres_database(site.database_url)
    row = summary(
        result, seen, posted, posts, connections=connections, duration=duration, every=every
    )
    verdict = (
        "PASS"
        if not row["errors"]
        and row["p99_ms"] < P99_TARGET_MS
        and not row["missed"]
        and not row["posts_failed"]
        else "MISS"
    )
    row["verdict"] = verdict
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (args.results / f"live-{stamp}.json").write_text(json.dumps(row, indent=2))
    print(json.dumps(row, indent=2))
    print(
        f"\n{verdict}: {row['requests']:,} polls ({row['not_modified']:,} × 304), "
        f"{row['errors']} errors, p99 {row['p99_ms']:.1f} ms (target < {P99_TARGET_MS}), "
        f"{row['seen']}/{row['posted']} updates seen"
    )
    return 0 if verdict == "PASS" else 1
