"""The site as people meet it: the real gunicorn with production settings, and Chromium.

`live_site` (session): `bench.server.Site` on a free 127.0.0.1 port with DJANGO_DEBUG=0,
collected static files, a fresh database (SQLite in a temporary folder, or `<name>_live`
beside a PostgreSQL DATABASE_URL) filled by `load_demo`, and an editor account.
`browser` (module): Debian's Chromium driven by Playwright; never a downloaded browser.

Playwright's synchronous API keeps an event loop running, and Django refuses ORM calls
while one runs: modules that use `browser` talk to the site over HTTP only.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.server import LOAD_DEMO, ROOT, Site
from tests.conftest import require
from tests.public_pages import Page
from tests.tiers import BROWSER, SERVER, starts

EDITOR_USERNAME = "editor"
EDITOR_PASSWORD = "live-site-editor-password-7f3a"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
NODE_MODULES = ROOT / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = ROOT / "artifacts"

# Run after the demo newsroom (bench.server.LOAD_DEMO, a seed of its own: the
# benchmarks' sites share it); see seed_live_site().
SEED = f"""
import json
from django.contrib.auth import get_user_model
from tests.public_pages import live_site_manifest
# A live breaking-news banner linking a public story: every page is checked with it.
from datetime import timedelta
from django.utils import timezone
from articles.fronts.models import Banner
from articles.models import Story
Banner.objects.create(
    text="Live site check: a breaking-news banner on every page",
    story=Story.objects.published().order_by("-published_at").first(),
    expires_at=timezone.now() + timedelta(days=1),
)
get_user_model().objects.create_superuser({EDITOR_USERNAME!r}, "", {EDITOR_PASSWORD!r})
print(json.dumps(live_site_manifest()))
"""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class LiveSite:
    site: Site
    manifest: dict

    @property
    def base_url(self) -> str:
        return self.site.base_url

    def url(self, path: str = "/") -> str:
        return self.site.url(path)

    @property
    def pages(self) -> list[Page]:
        """Every public HTML page type, from tests/public_pages.py."""
        return [Page(**page) for page in self.manifest["pages"]]

    def page(self, kind: str) -> Page:
        return next(page for page in self.pages if page.kind == kind)

    @property
    def outputs(self) -> list[Page]:
        """Feeds, sitemaps and robots.txt, where this tree has them."""
        return [Page(**page) for page in self.manifest["outputs"]]

    def get(self, path: str, headers: dict | None = None, method: str = "GET") -> Response:
        """One request, redirects not followed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=30)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()


@pytest.fixture(scope="session")
@starts(SERVER)
def live_site(tmp_path_factory):
    site = Site(
        tmp_path_factory.mktemp("live-site"),
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL"),
        # Each parallel worker that needs it starts its own: a PostgreSQL database each.
        database_suffix=f"live_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
        workers=3,
        # Background tasks (photo renditions) run in the request: the browser journeys
        # look at a photo right after uploading it, and this site runs no worker.
        extra_env={"TASKS_BACKEND": "immediate"},
    )
    try:
        site.prepare()
        manifest = seed_live_site(site)
        site.start()
        yield LiveSite(site, manifest)
    finally:
        site.stop()


def seed_live_site(site: Site) -> dict:
    """The demo newsroom, the banner and the editor in a prepared site; its manifest.

    Seeded once a run and copied (bench/server.py, templates): the fronts journey's
    clocked site shares it.
    """
    site.seed(LOAD_DEMO)
    return json.loads(site.seed(SEED).strip().splitlines()[-1])


def chromium_path() -> str:
    path = shutil.which(CHROMIUM)
    require(path, "Chromium at /usr/bin/chromium (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
@starts(BROWSER)
def browser():
    """Debian's Chromium, one per test module (see the module docstring for why)."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def screenshot_path(name: str) -> Path:
    """Where a screenshot goes: artifacts/screenshots/ (git-ignored), kept after the run."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


# Anything that is not the live site is refused before it leaves the browser.
_NOT_LOOPBACK = re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]).+", re.IGNORECASE)


def new_context(browser, live_site: LiveSite, **options):
    """A fresh browser context (own cookies) aimed at the live site, offline otherwise."""
    context = browser.new_context(base_url=live_site.base_url, **options)
    context.route(_NOT_LOOPBACK, lambda route: route.abort())
    return context


def log_in(page, live_site: LiveSite) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", EDITOR_USERNAME)
    page.fill("#id_password", EDITOR_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
