"""`make bench BENCH_ARGS="--workload live-photo"`: a text post while a photo update is processing.

Two editors on one live story, on the embedded default (a SQLite file) behind a
production-settings gunicorn and `manage.py worker`. First the second editor posts
text updates with nothing else going on (the idle time); then the first editor posts
an update with a 24-megapixel camera photo and, until its photo is on the poll
(renditions made), the second editor keeps posting text. Reported: the photo post's
time, how long until the photo showed, and the text posts' times idle and meanwhile.
No request or task may hold SQLite's one write lock while it works on pixels, so the
text posts meanwhile should take about their idle time.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from bench.photos import camera_like_jpeg
from bench.server import ROOT, Site

EDITORS = (
    ("bench-photo-desk", "bench-live-photo-5d2a"),
    ("bench-text-desk", "bench-live-text-9c1f"),
)
SEED = """
import json
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.utils import timezone
from articles.models import Section, Story
group = Group.objects.get(name="Editor")
for username, password in {editors!r}:
    User.objects.create_user(username, password=password, is_staff=True).groups.add(group)
section = Section.objects.get_or_create(name="Live", slug="live")[0]
now = timezone.now()
story = Story.objects.create(
    headline="Typhoon makes landfall, live", section=section, status="published",
    published_at=now - timedelta(hours=1), live_started_at=now - timedelta(hours=1),
)
print(json.dumps({{"pk": story.pk, "slug": story.slug}}))
"""
IDLE_POSTS = 5
# What the issue asks: a text post meanwhile answers in its normal time.
RATIO_TARGET = 3.0
MAX_TARGET_S = 0.5


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Desk:
    """An editor logged in to the admin, posting to one live story."""

    def __init__(self, site_url, story_pk, credentials):
        self.site_url, self.credentials = site_url, credentials
        self.path = f"/admin/articles/story/{story_pk}/live/"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def _open(self, path, body=None, content_type=None):
        request = urllib.request.Request(self.site_url + path, data=body)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    @staticmethod
    def _token(page):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def log_in(self):
        _, page = self._open("/admin/login/")
        username, password = self.credentials
        data = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": self._token(page),
        }
        status, page = self._open(
            "/admin/login/?next=/admin/", urllib.parse.urlencode(data).encode()
        )
        if status != 302:
            raise RuntimeError(f"{username} could not log in ({status}): {page[:300]}")
        return self

    def post(self, text, photo=None):
        """(status, seconds) of one POST of the live form (the form page read first)."""
        _, page = self._open(self.path)
        fields = {"body": text, "csrfmiddlewaretoken": self._token(page)}
        if photo is None:
            body, content_type = urllib.parse.urlencode(fields).encode(), None
        else:
            fields["photo_alt"] = "Waves over the harbour wall"
            body, content_type = _multipart(fields, "photo", "harbour.jpg", photo)
        started = time.monotonic()
        status, _ = self._open(self.path, body, content_type)
        return status, time.monotonic() - started


def _multipart(fields, file_field, filename, data):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def photo_shown(site_url, slug):
    with urllib.request.urlopen(f"{site_url}/stories/{slug}/updates/?after=0", timeout=30) as r:
        return "live-update__photo" in r.read().decode()


def start_worker(site: Site):
    """`manage.py worker` for the site, as `make run` starts it beside gunicorn."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--no-startup-delay", "--interval", "0.2"],
        cwd=ROOT,
        env=site.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def measure(site: Site, story: dict, photo: bytes, *, timeout: float = 120) -> dict:
    """Idle text posts, then text posts while the photo update is processing."""
    photo_desk = Desk(site.base_url, story["pk"], EDITORS[0]).log_in()
    text_desk = Desk(site.base_url, story["pk"], EDITORS[1]).log_in()
    idle = []
    for number in range(IDLE_POSTS):
        status, seconds = text_desk.post(f"Idle update {number}.")
        assert status == 302, status
        idle.append(seconds)
    result = {}

    def post_photo():
        result["photo"] = photo_desk.post("The harbour wall, an hour ago.", photo)

    posting = threading.Thread(target=post_photo)
    started = time.monotonic()
    posting.start()
    meanwhile, shown_after = [], None
    number = 0
    while time.monotonic() - started < timeout:
        time.sleep(0.05)
        status, seconds = text_desk.post(f"Meanwhile update {number}.")
        number += 1
        if photo_shown(site.base_url, story["slug"]):
            shown_after = time.monotonic() - started
            if status == 302:
                meanwhile.append(seconds)  # it started before the photo showed
            break
        assert status == 302, status
        meanwhile.append(seconds)
    posting.join(timeout)
    idle_median = statistics.median(idle)
    return {
        "photo_post_s": round(result["photo"][1], 3),
        "photo_post_status": result["photo"][0],
        "photo_shown_after_s": round(shown_after, 2) if shown_after else None,
        "text_idle_median_s": round(idle_median, 3),
        "text_meanwhile_posts": len(meanwhile),
        "text_meanwhile_median_s": round(statistics.median(meanwhile), 3) if meanwhile else None,
        "text_meanwhile_max_s": round(max(meanwhile), 3) if meanwhile else None,
        "ratio_median_to_idle": (
            round(statistics.median(meanwhile) / idle_median, 2) if meanwhile else None
        ),
    }


def prepared_site(workdir: Path, **env) -> tuple[Site, dict]:
    """A SQLite site with two editors and a live story (not started)."""
    site = Site(workdir, database_url=None, workers=3, access_log="/dev/null", extra_env=env)
    site.prepare()
    seed = SEED.format(editors=EDITORS)
    story = json.loads(site.python(seed).strip().splitlines()[-1])
    return site, story


def main(args, bench_site=None) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="newsroom-live-photo-"))
    site, story = prepared_site(workdir / "site")
    photo = camera_like_jpeg(6000, 4000)
    worker = None
    try:
        site.start()
        worker = start_worker(site)
        row = measure(site, story, photo)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        site.stop()
    verdict = (
        "PASS"
        if row["text_meanwhile_posts"]
        and row["ratio_median_to_idle"] < RATIO_TARGET
        and row["text_meanwhile_max_s"] < MAX_TARGET_S
        else "MISS"
    )
    row["verdict"] = verdict
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (args.results / f"live-photo-{stamp}.json").write_text(json.dumps(row, indent=2))
    print(json.dumps(row, indent=2))
    print(
        f"\n{verdict}: a text post took {row['text_idle_median_s'] * 1000:.0f} ms idle; while a "
        f"24 MP photo update was processing {(row['text_meanwhile_median_s'] or 0) * 1000:.0f} ms "
        f"(median), at most {(row['text_meanwhile_max_s'] or 0) * 1000:.0f} ms, over "
        f"{row['text_meanwhile_posts']} posts (target: median < {RATIO_TARGET:g}× idle, "
        f"max < {MAX_TARGET_S * 1000:.0f} ms)"
    )
    return 0 if verdict == "PASS" else 1
