"""`make bench BENCH_ARGS="--workload newsroom"`: the site under a newsroom's real load.

    DATABASE_URL=postgres://… REDIS_URL=redis://… \
      make bench BENCH_ARGS="--workload newsroom --stories 100000 --duration 60"

One gunicorn (`--workers`, production settings, page cache on) on a database seeded like
the main benchmark's (the demo newsroom plus `--stories` generated ones). Readers come
from one wrk script (`READERS_LUA`) that draws each request from a list of weighted
URLs: the front page, every section with a public story, the 300 most-used tags and the
newest 5,000 public stories, ranked in that order, weight 1/rank (a Zipf-like mix: the
front page gets the most readers, old stories' long tail the fewest).

gunicorn starts once, on an empty cache. Readers first warm it for `--warm-up` seconds,
not measured: 360 by default, longer than the page cache's lifetime (300 s,
NEWSROOM_PAGE_CACHE_SECONDS), after which it holds what readers asked for in the last
five minutes, as on a site that has been running; the pages the first minute filled,
the popular ones, expire together at 300 s, inside the warm-up rather than in a run.
From cold, at 100,000 stories, misses would swamp what the runs compare, and each run
would find a warmer cache than the one before. Then three runs of `--duration` seconds
follow one another on the same server and cache:

1. readers only;
2. readers whose every link carries its own random `utm_campaign` (right after the
   plain run, on the cache it left: only what the parameters change can differ);
3. readers while an editor saves a story every `--save-every` seconds (5): a random
   story among all stories (so mostly old ones), through the real admin, logged in:
   the change form is fetched and posted back as a browser would, with the headline
   changed (every second save the body instead, every fourth the tags replaced by two
   of the 300 popular tags). Last, because with one global content version what it
   throws away would count against the run after it.

The table lists them as the issue does (readers, saves, tracking).

Each run reports wrk's throughput and latency, the page cache's hits and misses (the
`X-Cache` header, counted in wrk's `response()` hook), responses outside 2xx/3xx, and
the cache's memory before and after (Redis: `INFO memory` used_memory of the whole
server and the bytes of this site's own keys; the file cache: the folder's size).
Targets (issue 14): with saves, throughput ≥ 0.9 × readers only and hits ≥ 90 %; with
tracking parameters, throughput ≥ 0.95 × readers only and the cache growing no more
than with plain links (at most 1.25 × its size after the readers-only run, plus 256 KB).
Results go to bench/results/newsroom-<time>.md and .json.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import shutil
import stat
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

from bench.forms import form_pairs
from bench.server import Site, drop_postgres_database, is_postgres
from bench.wrk import WrkResult, run_wrk, run_wrk_with_output

TOP_TAGS = 300
WARM_UP_S = 360  # 1.2 × the page cache's default lifetime: see the module docstring
NEWEST_STORIES = 5000
SAVE_TARGET = 0.9  # throughput with saves ÷ readers only
HIT_TARGET = 0.9  # page-cache hit rate with saves
TRACKING_TARGET = 0.95  # throughput with random utm_campaign ÷ readers only
# "Flat": at the end of the tracked run the cache holds at most this much more than at
# the end of the plain run before it (a few more or fewer distinct pages, entries that
# expired and came back), plus a little slack for a tiny run. Sizes, not growth: in a
# cache at its steady state, expiries make the growth of one run swing either way.
# Were tracking parameters part of the key, every request would store a page.
MEMORY_TOLERANCE, MEMORY_SLACK_BYTES = 1.25, 256 * 1024
EDITOR = ("bench-editor", "bench-editor-password-7c1e")

RUNS = {
    "readers": "readers only",
    "saves": "readers, one story saved every {every:g} s",
    "tracking": "readers, each link with a random `utm_campaign`",
}
ORDER = ("readers", "tracking", "saves")  # see the module docstring

# Appended to bench.wrk's reporting script (whose setup/init/response/done it wraps).
# Each wrk thread reads the weighted URL list once, then draws every request from it:
# a uniform number over the total weight, found in the cumulative weights by bisection.
READERS_LUA = r"""
local urls_file = %(urls_file)s
local track = %(track)s
local report_setup, report_init, report_response, report_done = setup, init, response, done
local thread_count = 0

function setup(thread)
  report_setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  report_init(args)
  hits, misses, uncached, sent = 0, 0, 0, 0
  paths, cumulative, total_weight = {}, {}, 0
  for line in io.lines(urls_file) do
    local weight, path = line:match("^(%%S+)\t(.+)$")
    if weight then
      total_weight = total_weight + tonumber(weight)
      paths[#paths + 1] = path
      cumulative[#cumulative + 1] = total_weight
    end
  end
  math.randomseed(os.time() + 7919 * thread_number)
end

local function pick()
  local target = math.random() * total_weight
  local low, high = 1, #cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < target then low = middle + 1 else high = middle end
  end
  return paths[low]
end

function request()
  local path = pick()
  if track then
    sent = sent + 1
    local separator = path:find("?", 1, true) and "&" or "?"
    path = path .. separator .. "utm_campaign=" .. math.random(1000000000) .. "-" .. sent
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  report_response(status, headers, body)
  local cache = headers["X-Cache"] or headers["x-cache"]
  if cache == "hit" then
    hits = hits + 1
  elseif cache == "miss" then
    misses = misses + 1
  else
    uncached = uncached + 1
  end
end

function done(summary, latency, requests)
  report_done(summary, latency, requests)
  local h, m, u = 0, 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    m = m + thread:get("misses")
    u = u + thread:get("uncached")
  end
  io.write(string.format('WORKLOAD_JSON {"hits": %%d, "misses": %%d, "uncached": %%d}\n',
    h, m, u))
end
"""


# ------------------------------------------------------------- inside Django


def workload_content(folder):
    """Write the readers' weighted URLs and the editor's story ids into `folder`.

    Runs inside Django (`Site.python`); prints what the harness needs as JSON.
    """
    from django.db.models import Count, Q
    from django.urls import reverse
    from taggit.models import Tag

    from articles.models import Section, Story

    folder = Path(folder)
    public = Story.objects.published()
    public_ids = public.values("pk")
    sections = (
        Section.objects.annotate(n=Count("stories", filter=Q(stories__in=public_ids)))
        .filter(n__gt=0)
        .order_by("-n", "pk")
    )
    tags = list(
        Tag.objects.annotate(
            n=Count(
                "taggit_taggeditem_items",
                filter=Q(taggit_taggeditem_items__object_id__in=public_ids),
            )
        )
        .filter(n__gt=0)
        .order_by("-n", "pk")[:TOP_TAGS]
    )
    newest = public.order_by("-published_at", "-pk").values_list("slug", flat=True)
    paths = [
        reverse("articles:home"),
        *(section.get_absolute_url() for section in sections),
        *(reverse("articles:tag_detail", args=[tag.slug]) for tag in tags),
        *(reverse("articles:story_detail", args=[slug]) for slug in newest[:NEWEST_STORIES]),
    ]
    lines = [f"{1 / rank:.9g}\t{path}\n" for rank, path in enumerate(paths, start=1)]
    (folder / "urls.txt").write_text("".join(lines), encoding="utf-8")
    ids = list(Story.objects.order_by("pk").values_list("pk", flat=True))
    (folder / "story_ids.json").write_text(json.dumps(ids))
    marker = 987654321
    change = reverse("admin:articles_story_change", args=[marker])
    return json.dumps(
        {
            "urls": len(paths),
            "kinds": {
                "home": 1,
                "sections": sections.count(),
                "tags": len(tags),
                "stories": len(paths) - 1 - sections.count() - len(tags),
            },
            "stories": len(ids),
            "tag_names": [tag.name for tag in tags],
            "login": reverse("admin:login"),
            "change": change.replace(str(marker), "{pk}"),
        }
    )


# ------------------------------------------------------------------ the editor


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A saved form answers with a redirect; following it would time the change list."""

    def redirect_request(self, *args, **kwargs):
        return None


class Editor(threading.Thread):
    """An editor in the admin, logged in, saving a random story every `every` seconds."""

    def __init__(self, site: Site, content: dict, story_ids: list[int], every: float, seed=14):
        super().__init__(daemon=True)
        self.site, self.content, self.story_ids, self.every = site, content, story_ids, every
        self.rng = random.Random(seed)
        self.saves: list[dict] = []
        self.stopping = threading.Event()
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirects()
        )
        self.count = 0

    def _request(self, path: str, data: list[tuple[str, str]] | None = None):
        """(status, body, Location) of one request in the editor's session."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.site.url(path), data=body, timeout=60) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:  # a redirect too (not followed)
            page = error.read().decode(errors="replace")
            return error.code, page, error.headers.get("Location", "")

    def log_in(self) -> None:
        login = self.content["login"]
        _, page, _ = self._request(login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        username, password = EDITOR
        status, page, _ = self._request(
            f"{login}?next=/",
            [("username", username), ("password", password), ("csrfmiddlewaretoken", token)],
        )
        if status != 302:
            raise RuntimeError(f"The bench editor could not log in ({status}): {page[:500]}")

    def _edit(self, pairs: list[tuple[str, str]], number: int) -> tuple[str, list]:
        """The form's fields with one edit, and what kind of edit it was."""
        fields = dict(pairs)
        names = self.content["tag_names"]
        if number % 4 == 0 and names:
            kind = "retag"
            chosen = self.rng.sample(names, min(2, len(names)))
            change = {"tags": ", ".join(f'"{name}"' for name in chosen)}
        elif number % 2 == 0:
            kind = "body"
            change = {"body": fields.get("body", "") + f"<p>Update {number}: details added.</p>"}
        else:
            kind = "headline"
            headline = re.sub(r" \(edit \d+\)$", "", fields.get("headline", "Story"))
            change = {"headline": f"{headline[:150]} (edit {number})"}
        edited = [(name, value) for name, value in pairs if name not in change]
        return kind, [*edited, *change.items(), ("_save", "Save")]

    def save_one(self) -> dict:
        self.count += 1
        pk = self.rng.choice(self.story_ids)
        path = self.content["change"].format(pk=pk)
        started = time.monotonic()
        status, page, _ = self._request(path)
        record = {"story": pk, "get_status": status}
        if status == 200:
            pairs = form_pairs(page, "story_form")
            kind, data = self._edit(pairs, self.count)
            posted = time.monotonic()
            status, page, location = self._request(path, data)
            record["post_ms"] = round((time.monotonic() - posted) * 1000, 1)
            # Saved: redirected onwards (to the change list), not back to the log-in page.
            saved = status == 302 and self.content["login"] not in location
            record.update(kind=kind, post_status=status, saved=saved)
            if status == 200:  # the form came back with errors
                errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
                record["errors"] = [re.sub(r"<[^>]+>", " ", e).strip() for e in errors][:5]
        record["ok"] = record.get("saved", False)
        record["ms"] = round((time.monotonic() - started) * 1000, 1)
        return record

    def run(self) -> None:
        started = time.monotonic()
        number = 1
        while not self.stopping.wait(max(0.0, started + number * self.every - time.monotonic())):
            try:
                self.saves.append(self.save_one())
            except OSError as error:
                self.saves.append({"ok": False, "errors": [repr(error)]})
            number += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join(120)


# ------------------------------------------------------------ the cache itself


def _redis(site: Site):
    import redis

    return redis.Redis.from_url(site.env["REDIS_URL"], socket_timeout=30)


def _site_keys(client, site: Site):
    yield from client.scan_iter(match=f"{site.env['CACHE_KEY_PREFIX']}:*", count=1000)


def cache_memory(site: Site) -> dict:
    """What the page cache holds now: Redis's memory and this site's keys, or the folder."""
    if "REDIS_URL" in site.env:
        client = _redis(site)
        keys = list(_site_keys(client, site))
        size = 0
        for start in range(0, len(keys), 1000):
            pipe = client.pipeline(transaction=False)
            for key in keys[start : start + 1000]:
                pipe.memory_usage(key, samples=0)
            size += sum(value or 0 for value in pipe.execute())
        return {
            "kind": "redis",
            "used_memory": client.info("memory")["used_memory"],
            "site_keys": len(keys),
            "site_bytes": size,
        }
    folder = Path(site.env["NEWSROOM_CACHE_DIR"])
    sizes = []
    for path in folder.rglob("*") if folder.exists() else []:
        try:
            found = path.stat()
        except FileNotFoundError:  # renamed into place or removed by a worker meanwhile
            continue
        if stat.S_ISREG(found.st_mode):
            sizes.append(found.st_size)
    return {"kind": "files", "site_keys": len(sizes), "site_bytes": sum(sizes)}


def empty_cache(site: Site) -> None:
    """Every page and state key of this site gone, as after a restore (docs/caching.md)."""
    if "REDIS_URL" in site.env:
        client = _redis(site)
        keys = list(_site_keys(client, site))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    else:
        shutil.rmtree(site.env["NEWSROOM_CACHE_DIR"], ignore_errors=True)


# -------------------------------------------------------------------- the runs


def _one_run(
    site: Site,
    args,
    urls_file: Path,
    track: bool,
    editor: Editor | None,
    duration: float | None = None,
) -> dict:
    before = cache_memory(site)
    lua = READERS_LUA % {"urls_file": json.dumps(str(urls_file)), "track": str(track).lower()}
    if editor is not None:
        editor.log_in()
        editor.start()
    try:
        # Any path will do: the Lua script chooses every request's own.
        wrk, output = run_wrk_with_output(
            site.url("/"),
            duration=duration or args.duration,
            connections=args.connections,
            threads=args.threads,
            lua=lua,
        )
    finally:
        if editor is not None:
            editor.stop()
    after = cache_memory(site)
    cache = _parse_workload(output)
    return {
        "wrk": wrk,
        "cache": cache,
        "memory_before": before,
        "memory_after": after,
        "saves": editor.saves if editor is not None else [],
    }


def _reference(site: Site, args, path: str, result: dict) -> WrkResult:
    """A short run of the constant-HTML view right after a run, as `make bench` does.

    Other work on the machine slows a run and the reference after it alike, so runs
    are compared through their ratio to it rather than raw requests/s.
    """
    from bench.run import settle

    settle(site, result["wrk"])
    reference = run_wrk(
        site.url(path),
        duration=max(1.0, args.duration / 4),
        connections=args.connections,
        threads=args.threads,
    )
    settle(site, reference)
    return reference


def _parse_workload(output: str) -> dict:
    line = next(line for line in output.splitlines() if line.startswith("WORKLOAD_JSON "))
    return json.loads(line.removeprefix("WORKLOAD_JSON "))


def _errors(result: WrkResult) -> int:
    """Responses outside 2xx/3xx, plus requests that got no response at all."""
    bad = sum(count for status, count in result.statuses.items() if not 200 <= status < 400)
    return bad + result.total_socket_errors


def summarise(runs: dict[str, list[dict]]) -> dict[str, dict]:
    """Run → medians over the rounds, and the sums that are counts."""
    rows = {}
    for name, results in runs.items():
        hits = sum(r["cache"]["hits"] for r in results)
        misses = sum(r["cache"]["misses"] for r in results)
        saves = [save for r in results for save in r["saves"]]
        rows[name] = {
            "rps": median(r["wrk"].requests_per_second for r in results),
            "p50": median(r["wrk"].latency_ms["p50"] for r in results),
            "p99": median(r["wrk"].latency_ms["p99"] for r in results),
            "hits": hits,
            "misses": misses,
            "uncached": sum(r["cache"]["uncached"] for r in results),
            "hit_rate": hits / (hits + misses) if hits + misses else None,
            "errors": sum(_errors(r["wrk"]) for r in results),
            "memory_before": median(r["memory_before"]["site_bytes"] for r in results),
            "memory_after": median(r["memory_after"]["site_bytes"] for r in results),
            "redis_before": _median_of(results, "memory_before", "used_memory"),
            "redis_after": _median_of(results, "memory_after", "used_memory"),
            "saves": len(saves),
            "failed_saves": sum(not save["ok"] for save in saves),
            "save_ms": median(s["ms"] for s in saves if "ms" in s) if saves else None,
            "save_post_ms": median(s["post_ms"] for s in saves if "post_ms" in s)
            if any("post_ms" in s for s in saves)
            else None,
            # Throughput against the constant view right after (None without references).
            "per_reference": median(
                r["wrk"].requests_per_second / r["reference"].requests_per_second for r in results
            )
            if all(r.get("reference") and r["reference"].requests for r in results)
            else None,
            "reference_rps": median(r["reference"].requests_per_second for r in results)
            if all(r.get("reference") for r in results)
            else None,
        }
    readers = rows.get("readers", {})
    growth = {name: row["memory_after"] - row["memory_before"] for name, row in rows.items()}
    for name, row in rows.items():
        row["raw_ratio"] = row["rps"] / readers["rps"] if readers.get("rps") else None
        # Through each run's ratio to its reference when there is one (see _reference).
        both = row["per_reference"] is not None and readers.get("per_reference")
        row["ratio"] = row["per_reference"] / readers["per_reference"] if both else row["raw_ratio"]
        row["memory_growth"] = growth[name]
        row["verdict"] = _verdict(name, row, readers.get("memory_after"))
    return rows


def _median_of(results, moment, field):
    values = [r[moment][field] for r in results if field in r[moment]]
    return median(values) if values else None


def _verdict(name: str, row: dict, readers_size: int | None) -> str:
    if row["errors"] or row["failed_saves"] or (name == "saves" and not row["saves"]):
        return "ERROR"
    misses = []
    if name == "saves":
        if row["ratio"] is None or row["ratio"] < SAVE_TARGET:
            misses.append("throughput")
        if row["hit_rate"] is None or row["hit_rate"] < HIT_TARGET:
            misses.append("hits")
    elif name == "tracking":
        if row["ratio"] is None or row["ratio"] < TRACKING_TARGET:
            misses.append("throughput")
        limit = MEMORY_TOLERANCE * (readers_size or 0) + MEMORY_SLACK_BYTES
        if row["memory_after"] > limit:
            misses.append("memory")
    else:
        return "PASS"
    return f"MISS ({', '.join(misses)})" if misses else "PASS"


def _mb(value) -> str:
    return "—" if value is None else f"{value / 1024 / 1024:,.1f}"


def markdown(rows: dict[str, dict], every: float, redis: bool) -> str:
    memory = "Redis used_memory MB before → after; site's keys MB" if redis else "cache folder MB"
    lines = [
        f"| run | req/s | p50 ms | p99 ms | page-cache hits | hit / miss | errors | {memory} "
        "| constant req/s after | × readers only (raw) | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    targets = {
        "readers": "",
        "saves": f"≥ {SAVE_TARGET:g} ×, hits ≥ {HIT_TARGET:.0%}",
        "tracking": f"≥ {TRACKING_TARGET:g} ×, memory flat",
    }
    for name, row in rows.items():
        hit_rate = "—" if row["hit_rate"] is None else f"{row['hit_rate']:.0%}"
        site = f"{_mb(row['memory_before'])} → {_mb(row['memory_after'])}"
        shown = f"{_mb(row['redis_before'])} → {_mb(row['redis_after'])}; {site}" if redis else site
        ratio = ""
        if name != "readers" and row["ratio"] is not None:
            ratio = f"{row['ratio']:.2f} ({row['raw_ratio']:.2f})"
        reference = "" if row["reference_rps"] is None else f"{row['reference_rps']:,.0f}"
        lines.append(
            f"| {RUNS[name].format(every=every)} | {row['rps']:,.0f} | {row['p50']:.1f} "
            f"| {row['p99']:.1f} | {hit_rate} | {row['hits']:,} / {row['misses']:,} "
            f"| {row['errors']:,} | {shown} | {reference} | {ratio} | {targets[name]} "
            f"| {row['verdict']} |"
        )
    lines += [
        "",
        "× readers only: each run's req/s against the constant-HTML view run right after "
        "it, over the same for readers only (other load on the machine slows both alike); "
        "raw: req/s over req/s. Memory flat: this site's keys end the run at most "
        f"{MEMORY_TOLERANCE:g} × their size after the readers-only run.",
    ]
    saves = rows.get("saves")
    if saves:
        lines += [
            "",
            f"Editor: {saves['saves']} saves through the admin (logged in; change form "
            f"fetched and posted back), {saves['failed_saves']} failed; median "
            f"{saves['save_ms'] or 0:.0f} ms for the form and the save together, "
            f"{saves['save_post_ms'] or 0:.0f} ms for the save (POST) alone.",
        ]
    return "\n".join(lines)


def main(args, bench_site) -> int:
    from bench import run  # the seeding helper of the main command
    from bench.results import machine

    database_url = os.environ.get("DATABASE_URL")
    engine = "PostgreSQL" if is_postgres(database_url) else "SQLite"
    redis = bool(os.environ.get("REDIS_URL"))
    if engine != "PostgreSQL" or not redis:
        print("Note: the workload's targets are defined on PostgreSQL with Redis.")
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-workload-"))
    site = bench_site(workdir / "site", args, "on", suffix="bench_workload")
    runs: dict[str, list[dict]] = {name: [] for name in RUNS}
    no_cache = None
    warm_up = WARM_UP_S if args.warm_up is None else args.warm_up
    try:
        print(f"Seeding {args.stories:,} stories ({engine}) …", flush=True)
        site.prepare()
        seeded = run.seed(site, args.stories)
        site.create_superuser(*EDITOR)
        content = json.loads(
            site.python(
                f"from bench.newsroom import workload_content; "
                f"print(workload_content({str(workdir)!r}))",
                timeout=600,
            )
            .strip()
            .splitlines()[-1]
        )
        story_ids = json.loads((workdir / "story_ids.json").read_text())
        if args.no_cache_table:
            no_cache = _no_cache_table(workdir, args, bench_site, seeded)
        urls_file = workdir / "urls.txt"
        print(f"Readers' URLs: {content['kinds']}", flush=True)
        empty_cache(site)
        site.start(timeout=60)
        print(f"warm-up: readers for {warm_up:g} s", flush=True)
        warmed = _one_run(site, args, urls_file, False, None, duration=warm_up)
        for number in range(1, args.rounds + 1):
            for name in ORDER:
                label = RUNS[name].format(every=args.save_every)
                print(f"round {number}/{args.rounds}: {label}", flush=True)
                editor = (
                    Editor(site, content, story_ids, args.save_every, seed=number)
                    if name == "saves"
                    else None
                )
                result = _one_run(site, args, urls_file, name == "tracking", editor)
                result["reference"] = _reference(site, args, seeded["paths"]["constant"], result)
                runs[name].append(result)
    finally:
        site.stop()
        if not args.keep:
            if "REDIS_URL" in site.env:
                try:
                    empty_cache(site)
                except Exception as error:  # the figures matter more than the clean-up
                    print(f"Could not empty the bench's Redis keys: {error}")
            if engine == "PostgreSQL":
                drop_postgres_database(site.database_url)
            shutil.rmtree(workdir, ignore_errors=True)

    rows = summarise(runs)
    info = machine()
    dirty = " (with uncommitted changes)" if info["uncommitted_changes"] else ""
    heading = (
        f"Newsroom workload, commit {info['commit']}{dirty}: {engine}"
        f"{' + Redis' if redis else ' + file cache'}, {seeded['stories']:,} public stories; "
        f"gunicorn -w {args.workers} -k sync, page cache on; wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration:g}s a run, {args.rounds} round(s), after "
        f"{warm_up:g} s of readers warming the cache; readers over {content['urls']:,} "
        f"URLs (home, {content['kinds']['sections']} sections, {content['kinds']['tags']} "
        f"tags, {content['kinds']['stories']:,} newest stories; weight 1/rank); "
        f"{info['cpus']} CPUs shared with wrk, load average {load_before:.1f} before the run."
    )
    text = heading + "\n\n" + markdown(rows, args.save_every, redis) + "\n"
    text += "\n" + _warm_up_line(warmed, warm_up) + "\n"
    if no_cache:
        text += "\n" + no_cache["text"]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"newsroom-{stamp}.md").write_text(text)
    raw = {
        "when": stamp,
        "machine": info,
        "database": engine,
        "cache": "redis" if redis else "files",
        "stories": seeded["stories"],
        "generated": args.stories,
        "generate_seconds": seeded["generate_seconds"],
        "duration_s": args.duration,
        "rounds": args.rounds,
        "save_every_s": args.save_every,
        "warm_up": {
            "seconds": warm_up,
            "wrk": warmed["wrk"].as_dict(),
            "cache": warmed["cache"],
            "errors": _errors(warmed["wrk"]),
            "memory_before": warmed["memory_before"],
            "memory_after": warmed["memory_after"],
        },
        "wrk": {"threads": args.threads, "connections": args.connections},
        "gunicorn": {"workers": args.workers, "worker_class": "sync"},
        "load_average_before": round(load_before, 2),
        "readers": {"urls": content["urls"], "kinds": content["kinds"]},
        "table": rows,
        "no_cache": no_cache and {"table": no_cache["rows"], "wrk_runs": no_cache["raw"]},
        "runs": {
            name: [
                {
                    "wrk": r["wrk"].as_dict(),
                    "cache": r["cache"],
                    "errors": _errors(r["wrk"]),
                    "reference": r["reference"].as_dict(),
                    "memory_before": r["memory_before"],
                    "memory_after": r["memory_after"],
                    "saves": r["saves"],
                }
                for r in results
            ]
            for name, results in runs.items()
        },
    }
    (args.results / f"newsroom-{stamp}.json").write_text(json.dumps(raw, indent=2) + "\n")
    print(f"\n{text}\nWritten to {args.results}/newsroom-{stamp}.md and .json")
    failed = any(row["verdict"] == "ERROR" for row in rows.values())
    return 1 if failed or _errors(warmed["wrk"]) else 0


def _no_cache_table(workdir: Path, args, bench_site, seeded: dict) -> dict:
    """Before the workload: every public page with no cache at all, at 1,000 stories
    (a database of its own) and on the workload's database (bench/growth.py)."""
    from bench import growth, run

    small = bench_site(workdir / "small", args, "none", suffix="bench_workload_small")
    # The workload's own folder: its static files and photos.
    large = bench_site(workdir / "site", args, "none", suffix="bench_workload")
    pages = [page.strip() for page in args.no_cache_pages.split(",") if page.strip()]
    try:
        print(f"No-cache table: seeding {args.no_cache_small:,} stories …", flush=True)
        small.prepare()
        small_content = run.seed(small, args.no_cache_small)
        # Public stories, the demo's included: the sizes the table is labelled with.
        small_size, large_size = small_content["stories"], seeded["stories"]
        sites = {small_size: small, large_size: large}
        paths = {small_size: small_content["paths"], large_size: seeded["paths"]}
        run.start_all(sites.values(), timeout=60)
        for size, site in sites.items():
            run.warm_up(site, {page: paths[size][page] for page in pages})
        runs = growth.drive(sites, paths, args, args.page_duration, pages)
    finally:
        for site in (small, large):
            site.stop()
        if is_postgres(small.database_url) and not args.keep:
            drop_postgres_database(small.database_url)
    text, rows = growth.table(runs, small_size, large_size, pages)
    heading = (
        f"No cache at all (NEWSROOM_LOCAL_CACHE=none, page cache off: every request reads "
        f"the database), {small_size:,} and {large_size:,} stories, wrk -t{args.threads} "
        f"-c{args.connections} -d{args.page_duration:g}s a page, each page at "
        f"{small_size:,} followed by the constant view on the same server:"
    )
    raw = {
        str(size): {page: [r.as_dict() for r in results] for page, results in pages.items()}
        for size, pages in runs.items()
    }
    return {"text": heading + "\n\n" + text, "rows": rows, "raw": raw}


def _warm_up_line(warmed: dict, seconds: float) -> str:
    hits, misses = warmed["cache"]["hits"], warmed["cache"]["misses"]
    rate = f"{hits / (hits + misses):.0%}" if hits + misses else "—"
    return (
        f"Warm-up (readers only, {seconds:g} s from an empty cache, not in the table): "
        f"{warmed['wrk'].requests_per_second:,.0f} req/s, page-cache hits {rate}, "
        f"{_errors(warmed['wrk'])} errors."
    )
