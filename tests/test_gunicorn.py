"""The site under a real gunicorn: long request lines, dead workers, graceful stops,
several hosts sharing PostgreSQL and Redis, and a database that goes away and returns.
"""

import http.cookiejar
import os
import re
import signal
import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest

from tests.conftest import require
from tests.servers import (
    Gunicorn,
    TcpProxy,
    _manage,
    base_env,
    collect_static,
    migrated_sqlite,
    request,
    shared_database_url,
)
from tests.tiers import SERVER, starts


@pytest.fixture(scope="session")
@starts(SERVER)
def static_root(tmp_path_factory):
    return collect_static(tmp_path_factory.mktemp("gunicorn-static"))


@pytest.fixture(scope="session")
@starts(SERVER)
def sqlite_url(tmp_path_factory):
    return migrated_sqlite(tmp_path_factory.mktemp("gunicorn-db"))


@pytest.fixture
def database_url(request, tmp_path_factory):
    """A database gunicorn can see: the shared test database on PostgreSQL (committed
    data, so transactional_db), else a migrated SQLite file."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        request.getfixturevalue("transactional_db")
        return shared_database_url()
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
@starts(SERVER)
def server(database_url, static_root):
    with Gunicorn(database_url=database_url, static_root=static_root) as server:
        yield server


def test_long_search_query_gets_a_results_page(server):
    status, _, body = server.get("/search/?q=" + "a" * 10_000)
    assert status == 200, body[:500]
    assert b"<html" in body


def test_access_log_carries_the_request_id(server):
    status, headers, _ = server.get("/healthz", headers={"X-Request-ID": "trace-me-42"})
    assert status == 200 and headers["X-Request-ID"] == "trace-me-42"
    deadline = time.monotonic() + 5
    while "request_id=trace-me-42" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.log().splitlines() if "trace-me-42" in line)
    assert '"GET /healthz HTTP/1.1" 200' in line


def _in_background(fn):
    result = {}

    def run():
        try:
            result["value"] = fn()
        except Exception as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def _wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_killed_worker_is_replaced_and_the_site_keeps_answering(
    database_url, static_root, tmp_path
):
    pid_file = tmp_path / "slow.pid"
    with Gunicorn(
        database_url=database_url,
        static_root=static_root,
        NEWSROOM_TEST_SLOW_PID_FILE=pid_file,
    ) as server:
        workers = server.worker_pids()
        assert len(workers) == 2
        thread, result = _in_background(lambda: server.get("/slow/?seconds=5"))
        assert _wait_for(pid_file.exists)
        busy = int(pid_file.read_text())
        os.kill(busy, signal.SIGKILL)
        thread.join(10)
        assert "error" in result or result["value"][0] >= 500  # that request is lost
        # The other worker answers at once; a new worker replaces the dead one.
        assert server.get("/healthz")[0] == 200
        assert _wait_for(
            lambda: busy not in server.worker_pids() and len(server.worker_pids()) == 2
        )
        for _ in range(6):
            assert server.get("/")[0] == 200


def test_sigterm_drains_requests_in_flight(database_url, static_root, tmp_path):
    server = Gunicorn(database_url=database_url, static_root=static_root).start()
    try:
        thread, result = _in_background(lambda: server.get("/slow/?seconds=1.5"))
        time.sleep(0.4)  # the request is in the worker
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        thread.join(10)
        status, _, body = result["value"]
        assert status == 200 and body.startswith(b"slow done")
        assert server.process.wait(10) == 0
        assert time.monotonic() - started < 8
        with pytest.raises(OSError):
            server.get("/healthz", timeout=2)
    finally:
        server.stop()


# Several hosts: PostgreSQL and Redis shared by two gunicorn processes.


def _admin_opener(server, username, password):
    """A urllib opener logged in to the admin of `server` (through the real login form)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = server.url + "/admin/login/?next=/admin/"
    _, _, body = request(login, opener=opener)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    status, _, body = request(login, data=data, opener=opener)
    assert status == 200 and b"Log out" in body, body[:300]
    return opener


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_hosts_share_content_and_cache(database_url, static_root, make_story, editor):
    require(os.environ.get("REDIS_URL"), "REDIS_URL: a Redis server shared by the hosts")
    story = make_story("Held back for now", status="draft")
    make_story("Already on the front page")
    env = {"REDIS_URL": os.environ["REDIS_URL"]}
    with (
        Gunicorn(database_url=database_url, static_root=static_root, workers=1, **env) as a,
        Gunicorn(database_url=database_url, static_root=static_root, workers=1, **env) as b,
    ):
        for host in (a, b, a, b):
            status, headers, body = host.get("/")
            assert status == 200 and b"Already on the front page" in body
            assert b"Held back for now" not in body
        assert headers["X-Cache"] == "hit"

        opener = _admin_opener(a, "editor", "correct horse battery staple")
        changelist = a.url + "/admin/articles/story/"
        _, _, body = request(changelist, opener=opener)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        data = urllib.parse.urlencode(
            {
                "action": "publish",
                "_selected_action": story.pk,
                "csrfmiddlewaretoken": token.decode(),
            }
        ).encode()
        status, _, body = request(changelist, data=data, opener=opener)
        assert status == 200 and b"Published 1 story" in body

        status, headers, body = b.get("/")
        assert status == 200 and b"Held back for now" in body
        assert headers["X-Cache"] == "miss"
        assert b"Held back for now" in b.get(story.get_absolute_url())[2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_outage_gives_503_and_recovers_by_itself(database_url, static_root, make_story):
    from django.db import connection

    make_story("Still here after the outage")
    settings_dict = connection.settings_dict
    proxy = TcpProxy(settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432))
    proxy.start()
    parts = urllib.parse.urlsplit(database_url)
    via_proxy = parts._replace(netloc=f"{parts.netloc.rsplit(':', 1)[0]}:{proxy.port}").geturl()
    try:
        with Gunicorn(
            database_url=via_proxy,
            static_root=static_root,
            workers=1,
            NEWSROOM_PAGE_CACHE="0",
        ) as server:
            assert server.get("/readyz")[0] == 200
            assert b"Still here" in server.get("/")[2]
            # Search asks the database on every request; the front page, whose pieces
            # are kept as fragments (articles/cache/fragments.py), may be served without it.
            search = "/search/?q=outage"
            assert b"Still here after the" in server.get(search)[2]

            proxy.stop()
            assert server.get("/")[0] in (200, 503)
            status, headers, body = server.get(search)
            assert status == 503
            assert headers["Retry-After"] == "30"
            assert b"back in a moment" in body and b"Traceback" not in body
            status, _, body = server.get("/readyz")
            assert status == 503 and b'"database": "unavailable' in body
            assert server.get("/healthz")[0] == 200  # alive, just not ready

            proxy.start()
            assert _wait_for(lambda: server.get("/readyz")[0] == 200, timeout=10)
            status, _, body = server.get(search)
            assert status == 200 and b"Still here after the" in body
    finally:
        proxy.stop()


def test_gunicorn_serves_renditions_but_never_originals(
    make_story, sqlite_url, static_root, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import image_bytes

    story = make_story(lead_photo=SimpleUploadedFile("photo.jpg", image_bytes(1600, 900)))
    avif = story.lead_photo.renditions["lead"][0]["avif"][0]
    with Gunicorn(
        database_url=sqlite_url,
        static_root=static_root,
        MEDIA_ROOT=settings.MEDIA_ROOT,
        PRIVATE_MEDIA_ROOT=tmp_path / "originals",
    ) as server:
        status, headers, body = server.get(f"/media/{avif}")
        assert status == 200
        assert headers["Content-Type"] == "image/avif"
        assert "immutable" in headers["Cache-Control"]
        assert body[4:12] == b"ftypavif"
        for path in [f"/media/{story.lead_photo.original.name}", "/media/../var/secret_key"]:
            assert server.get(path)[0] == 404, path


# Request bodies are refused before they are read (newsroom/uploads.py).

HUGE = 2 * 1024**3  # what the attacker's Content-Length claims
SENT = 8 * 1024 * 1024  # what it really sends before waiting for an answer


def _cookie_jar(opener):
    return next(
        handler.cookiejar
        for handler in opener.handlers
        if isinstance(handler, urllib.request.HTTPCookieProcessor)
    )


def _huge_post(server, path, cookies, fields, *, chunked=False):
    """POST a multipart body claiming HUGE bytes (or chunked, with no length), send SENT
    bytes of it and wait for an answer without closing. Returns (socket, status line,
    seconds to the answer); the status line is None when nothing came in 5 s."""
    boundary = "hugeboundary"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="lead_photo"; '
        'filename="huge.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    )
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {HUGE}"
    request_head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Cookie: {cookies}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"{length}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    started = time.monotonic()

    def frame(data):
        return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data

    def send():
        try:
            sock.sendall(request_head + frame(head.encode()))
            block = b"\0" * 65536
            for _ in range(SENT // len(block)):
                sock.sendall(frame(block))
        except OSError:
            pass  # the server answered and closed: that is the point

    threading.Thread(target=send, daemon=True).start()
    try:
        status = sock.recv(4096).split(b"\r\n", 1)[0].decode() or None
    except TimeoutError:
        status = None
    return sock, status, time.monotonic() - started


def _temporary_bytes(folder):
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_huge_bodies_are_refused_before_they_are_read(sqlite_url, static_root, tmp_path):
    _manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        "User.objects.filter(username='uploader').exists() or "
        "User.objects.create_superuser('uploader', '', 'uploader-password-1f9c')",
        env=base_env(DATABASE_URL=sqlite_url),
    )
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    with Gunicorn(
        database_url=sqlite_url, static_root=static_root, workers=1, TMPDIR=temporary
    ) as server:
        opener = _admin_opener(server, "uploader", "uploader-password-1f9c")
        jar = {cookie.name: cookie.value for cookie in _cookie_jar(opener)}
        add = "/admin/articles/story/add/"
        _, _, body = request(server.url + add, opener=opener)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        fields = {"csrfmiddlewaretoken": token.decode(), "headline": "Huge"}
        admin_cookies = f"sessionid={jar['sessionid']}; csrftoken={jar['csrftoken']}"
        public_cookies = f"csrftoken={jar['csrftoken']}"

        for path, cookies, expected, chunked in [
            (add, admin_cookies, "413", False),
            ("/search/", public_cookies, "405", False),
            (add, admin_cookies, "403", True),  # no length: Django reads nothing, CSRF fails
        ]:
            sock, status, seconds = _huge_post(server, path, cookies, fields, chunked=chunked)
            try:
                assert status is not None, f"{path}: no answer while the body was arriving"
                assert status.split()[1] == expected, (path, status)
                assert seconds < 3, (path, seconds)
                assert _temporary_bytes(temporary) == 0, path
                # The single worker is free again while the attacker's socket is open.
                assert server.get("/healthz", timeout=5)[0] == 200
            finally:
                sock.close()
        # An ordinary form post still works.
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.decode()}).encode()
        status, _, body = request(server.url + "/admin/logout/", data=data, opener=opener)
        assert status == 200 and b"Logged out" in body, body[:300]
