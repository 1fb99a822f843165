"""The photo benchmarks that need the real server and worker (bench/photos.py, `bulk` and
`save`): a production-like site (bench/server.py) and `manage.py worker` beside it."""

from __future__ import annotations

import http.cookiejar
import io
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.forms import form_pairs
from bench.server import ROOT, Site

EDITOR = ("bench-photo-editor", "bench-photo-password-3f9a")
# The editor and the story, in one process (a seed: the test suite copies it).
SEED = f"""
from django.contrib.auth import get_user_model
from articles.models import Section, Story
username, password = {EDITOR!r}
get_user_model().objects.create_superuser(username, username + "@example.com", password)
section = Section.objects.create(name="News", slug="news")
story = Story.objects.create(headline="Harbour story", section=section,
    body="<p>" + "The harbour reopened. " * 80 + "</p>")
print(story.pk)
"""
# What the worker is given for the comparison: full priority, every core for AVIF.
UNTHROTTLED = {"NEWSROOM_PHOTO_WORKER_NICE": "0", "NEWSROOM_PHOTO_ENCODER_THREADS": "0"}


def camera_card(count: int, width: int, height: int) -> list[bytes]:
    """`count` distinct camera-like JPEGs: one detailed base (bench.photos), each given
    its own broad light and shade, so that no two look alike to the library's dHash."""
    from PIL import Image

    from bench.photos import camera_like_jpeg

    base = Image.open(io.BytesIO(camera_like_jpeg(width, height))).convert("RGB")
    card = []
    for number in range(count):
        rng = random.Random(number)
        shade = Image.new("L", (9, 8))
        shade.putdata([rng.randrange(256) for _ in range(72)])
        shade = shade.resize((width, height), Image.Resampling.BILINEAR).convert("RGB")
        picture = Image.blend(base, shade, 0.45)
        buffer = io.BytesIO()
        exif = Image.Exif()
        exif[0x010F] = "Bench Camera"
        picture.save(buffer, "JPEG", quality=90, exif=exif)
        card.append(buffer.getvalue())
    return card


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]):
    boundary = f"----bench{secrets.token_hex(12)}"
    parts = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, filename, data in files:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """An editor's session in the admin, over HTTP."""

    def __init__(self, site: Site):
        self.site = site
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def request(self, path, data=None, content_type=None, timeout=120):
        if isinstance(data, list):
            data = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.site.url(path), data=data)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), error.headers["Location"]

    @staticmethod
    def token(page):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def log_in(self):
        _, page, _ = self.request("/admin/login/")
        status, page, _ = self.request(
            "/admin/login/?next=/admin/",
            [
                ("username", EDITOR[0]),
                ("password", EDITOR[1]),
                ("csrfmiddlewaretoken", self.token(page)),
            ],
        )
        if status != 302:
            raise RuntimeError(f"Could not log in ({status}): {page[:300]}")

    def bulk_upload(self, card: list[bytes]):
        """(seconds, status, Location) of one bulk upload of `card`."""
        _, page, _ = self.request("/admin/photos/photo/upload/")
        body, content_type = multipart(
            [("csrfmiddlewaretoken", self.token(page)), ("credit", "Bench")],
            [("files", f"card-{n:02d}.jpg", data) for n, data in enumerate(card)],
        )
        started = time.perf_counter()
        status, _, location = self.request(
            "/admin/photos/photo/upload/", body, content_type, timeout=300
        )
        return time.perf_counter() - started, status, location

    def pending(self, location) -> int:
        _, page, _ = self.request(location)
        return int(re.search(r'data-upload-pending="(\d+)"', page).group(1))

    def states(self, location) -> dict:
        _, page, _ = self.request(location)
        found = re.findall(r'id="upload-file-\d+-state"[^>]*>\s*([^<]+?)\s*<', page)
        counts = {}
        for text in found:
            counts[text] = counts.get(text, 0) + 1
        return counts

    def save_story(self, pk, number) -> float:
        """Seconds for one POST of the story's change form (the save an editor waits for)."""
        path = f"/admin/articles/story/{pk}/change/"
        _, page, _ = self.request(path)
        pairs = dict(form_pairs(page, "story_form"))
        pairs["headline"] = f"Harbour story, edit {number}"
        started = time.perf_counter()
        status, page, _ = self.request(path, [*pairs.items(), ("_save", "Save")])
        took = time.perf_counter() - started
        if status != 302:
            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
            raise RuntimeError(f"The story save failed ({status}): {errors[:3]}")
        return took


@contextmanager
def photo_site(workdir: Path, worker_env: dict | None = None):
    """A site with an editor and a story, and its worker running."""
    site = Site(workdir, workers=3, threads=1)
    site.prepare()
    story_pk = int(site.seed(SEED).strip().splitlines()[-1])
    site.start()
    log = (workdir / "worker.log").open("ab")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env={**site.env, **(worker_env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        browser = Browser(site)
        browser.log_in()
        yield site, browser, story_pk
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()
        site.stop()


def wait_until_done(browser, location, timeout=900) -> float:
    started = time.perf_counter()
    while browser.pending(location):
        if time.perf_counter() - started > timeout:
            raise RuntimeError("The worker did not finish in time")
        time.sleep(0.5)
    return time.perf_counter() - started


def bench_bulk(args) -> dict:
    print(f"Bulk upload: making {args.photos} distinct {args.width}×{args.height} JPEGs…")
    card = camera_card(args.photos, args.width, args.height)
    megabytes = sum(map(len, card)) / 1e6
    with (
        tempfile.TemporaryDirectory(prefix="newsroom-bulk-") as folder,
        photo_site(Path(folder)) as (_, browser, _),
    ):
        took, status, location = browser.bulk_upload(card)
        if status != 303:
            raise RuntimeError(f"The bulk upload answered {status}, not 303")
        worker = wait_until_done(browser, location)
        states = browser.states(location)
    per_photo = took / len(card)
    print(
        f"Bulk upload of {len(card)} photos ({megabytes:.0f} MB): the request took {took:.2f} s "
        f"({per_photo:.3f} s a photo; gunicorn's timeout is 30 s), answered {status}."
    )
    print(f"The worker then checked and processed them in {worker:.1f} s: {states}")
    return {
        "photos": len(card),
        "megabytes": round(megabytes, 1),
        "request_s": round(took, 3),
        "request_per_photo_s": round(per_photo, 4),
        "status": status,
        "worker_s": round(worker, 1),
        "states": states,
    }


def _saves(browser, story_pk, count, start):
    return [browser.save_story(story_pk, start + n) for n in range(count)]


def bench_save(args) -> dict:
    print("Story save while the worker makes renditions of 24-megapixel photos…")
    card = camera_card(3, args.width, args.height)
    result = {}
    for label, env in (("as configured", None), ("full priority, every core", UNTHROTTLED)):
        with (
            tempfile.TemporaryDirectory(prefix="newsroom-save-") as folder,
            photo_site(Path(folder), env) as (_, browser, story_pk),
        ):
            _saves(browser, story_pk, 2, 0)  # warm up
            idle = _saves(browser, story_pk, args.saves, 10)
            _, _, location = browser.bulk_upload(card)
            busy, number = [], 100
            time.sleep(1.0)  # the worker has picked the first task up
            while browser.pending(location):
                busy.append(browser.save_story(story_pk, number))
                number += 1
                time.sleep(0.2)
        idle_median, busy_median = statistics.median(idle), statistics.median(busy or [0])
        ratio = busy_median / idle_median
        print(
            f"  {label}: idle median {idle_median * 1000:.0f} ms, while processing "
            f"median {busy_median * 1000:.0f} ms (max {max(busy or [0]) * 1000:.0f} ms, "
            f"{len(busy)} saves): {ratio:.2f}× idle"
        )
        result[label] = {
            "idle_ms": [round(t * 1000, 1) for t in idle],
            "busy_ms": [round(t * 1000, 1) for t in busy],
            "idle_median_ms": round(idle_median * 1000, 1),
            "busy_median_ms": round(busy_median * 1000, 1),
            "ratio": round(ratio, 2),
        }
    return result
