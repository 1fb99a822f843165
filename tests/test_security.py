"""Security: deploy checks, headers and CSP, admin lock-out, a movable admin."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent

# The production environment docs/operations.md documents (with stand-in values).
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "q7Jx2mVt9Lr4Kp8Zs1Wd6Yh3Nb5Fc0Gu-Ae7Ri2To9Ply4Mk8Xv1Sj6Qn3Hw5Dg",
    "DJANGO_ALLOWED_HOSTS": "news.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://news.example.com",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "DJANGO_SECURE_HSTS_PRELOAD": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
}


@pytest.mark.server
def test_check_deploy_passes_without_warnings_in_production_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**env, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_local_defaults_serve_plain_http():
    from newsroom import settings as module

    assert module.SECURE_SSL_REDIRECT is False
    assert module.SECURE_HSTS_SECONDS == 0
    assert module.SESSION_COOKIE_SECURE is False


COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_common_headers(response):
    for name, value in COMMON_HEADERS.items():
        assert response[name] == value, name
    policy = csp(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    return policy


@pytest.mark.parametrize("url", ["/", "story", "/search/?q=x", "/no-such-page/"])
def test_public_pages_have_security_headers_and_strict_csp(client, make_story, url):
    story = make_story()
    response = client.get(story.get_absolute_url() if url == "story" else url)
    policy = assert_common_headers(response)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]


def test_admin_has_security_headers_and_its_own_policy(admin_client):
    response = admin_client.get("/admin/articles/story/add/")
    assert response.status_code == 200
    policy = assert_common_headers(response)
    assert "'self'" in policy["script-src"]
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_admin_policy_runs_only_inline_code_that_carries_the_nonce(admin_client):
    response = admin_client.get("/admin/articles/story/add/")
    header = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    policy = csp(response)
    nonce = policy["script-src"][1].removeprefix("'nonce-").removesuffix("'")
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    html = response.content.decode()
    # The rich-text editor's import map and base styles are the inline code, with it.
    assert f'<script type="importmap" nonce="{nonce}">' in html
    assert f'<style data-tiptap-style nonce="{nonce}">' in html
    # A fresh nonce for every response.
    assert nonce not in admin_client.get("/admin/articles/story/add/")["Content-Security-Policy"]


def test_admin_pages_without_inline_code_send_no_nonce(admin_client):
    policy = csp(admin_client.get("/admin/articles/section/"))
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]


def test_hsts_and_secure_cookies_when_configured(client, settings, make_story):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_and_csrf_cookies_are_http_only():
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY


# Admin log-in lock-out (django-axes)

PASSWORD = "correct horse battery staple"


def login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


@pytest.fixture
def other_editor(django_user_model):
    return django_user_model.objects.create_superuser("other", "o@example.com", PASSWORD)


def test_repeated_failures_lock_out_until_cool_off(editor, other_editor, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "editor", "wrong").status_code == 200  # the form again
    locked = login(client, "editor", "wrong")
    assert locked.status_code == 429
    assert b"Too many log-in attempts" in locked.content
    # Even the right password is refused while locked out.
    assert login(client, "editor", PASSWORD).status_code == 429
    # Another username from the same address still logs in.
    assert login(Client(), "other", PASSWORD).status_code == 302
    # After the cool-off the right password works again (the failures are moved back
    # in time rather than waiting for it).
    from axes.models import AccessAttempt

    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    assert AccessAttempt.objects.update(attempt_time=past) == 1
    assert login(Client(), "editor", PASSWORD).status_code == 302


def test_client_login_still_works_with_axes(client, editor):
    assert client.login(username="editor", password=PASSWORD)
    assert not client.login(username="editor", password="wrong")


@pytest.mark.server
def test_admin_url_can_be_moved():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    code = (
        "import django; django.setup()\n"
        "from django.urls import Resolver404, resolve, reverse\n"
        "def where(path):\n"
        "    try:\n"
        "        return resolve(path).namespace or 'site'\n"
        "    except Resolver404:\n"
        "        return 'nothing'\n"
        "print('RESULT', reverse('admin:index'), where('/editors-desk/'), where('/admin/'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "admin-url-test-" * 4,
            "DJANGO_ADMIN_URL": "editors-desk/",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    assert lines == ["RESULT /editors-desk/ admin nothing"], result.stdout + result.stderr


@pytest.fixture
def moved_admin(settings):
    """The site's URLconf as it is built with DJANGO_ADMIN_URL=editors-desk/.

    newsroom/urls.py reads settings.ADMIN_URL when it is imported, so the override
    needs a fresh copy of that module, installed as ROOT_URLCONF for the test.
    """
    import importlib.util
    import sys

    from django.urls import clear_url_caches

    settings.ADMIN_URL = "editors-desk/"
    name = "moved_admin_urls"
    spec = importlib.util.spec_from_file_location(name, ROOT / "newsroom" / "urls.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    settings.ROOT_URLCONF = name
    clear_url_caches()
    yield "/editors-desk/"
    del sys.modules[name]
    clear_url_caches()


def test_robots_txt_does_not_reveal_a_moved_admin(client, db, moved_admin):
    from django.urls import reverse

    assert reverse("admin:index") == moved_admin  # the admin really is there
    response = client.get("/robots.txt")
    assert response.status_code == 200
    body = response.content.decode()
    assert "editors-desk" not in body
    assert "Sitemap:" in body and "User-agent: *" in body


# Lock-out behind the load balancer: the address is the trusted proxy's X-Forwarded-For.

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]


def client_from(address, *, peer=PROXY):
    """A browser at `address`, reaching the site through the proxy at `peer`."""
    return Client(REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=f"{address}, {peer}")


def test_an_attacker_behind_the_proxy_cannot_lock_the_editor_out(editor, behind_proxy, settings):
    # peer=PROXY twice: a second proxy hop that is itself trusted is skipped.
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        response = login(attacker, "editor", "wrong")
    assert response.status_code == 429  # the attacker is locked out …
    # … the editor, at another address behind the same proxy, is not.
    assert login(client_from("198.51.100.7"), "editor", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_from_the_client_is_not_believed(editor, behind_proxy, settings):
    # The attacker writes X-Forwarded-For themselves: the proxy appends their real
    # address, and only that right-most one counts.
    for n in range(settings.AXES_FAILURE_LIMIT):
        forged = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.66")
        response = login(forged, "editor", "wrong")
    assert response.status_code == 429
    # A peer that is not a trusted proxy cannot choose its address either.
    for n in range(settings.AXES_FAILURE_LIMIT):
        direct = Client(REMOTE_ADDR="203.0.113.99", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        response = login(direct, "editor", "wrong")
    assert response.status_code == 429
    assert login(client_from("198.51.100.7"), "editor", PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_locked_out(editor, behind_proxy, settings):
    attacker = client_from("203.0.113.66")
    assert settings.AXES_IP_FAILURE_LIMIT == 20
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert login(attacker, f"guess{n}", "wrong").status_code == 200
    assert login(attacker, "one-more-guess", "wrong").status_code == 429
    # From that address even a real account is refused until the cool-off …
    assert login(client_from("203.0.113.66"), "editor", PASSWORD).status_code == 429
    # … and from anywhere else it works.
    assert login(client_from("198.51.100.7"), "editor", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.9", "", "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # untrusted peer: header ignored
        (PROXY, "", PROXY),
        (PROXY, "198.51.100.1", "198.51.100.1"),
        (PROXY, "1.1.1.1, 198.51.100.1", "198.51.100.1"),  # left of ours: client-written
        (PROXY, f"198.51.100.1, {PROXY}", "198.51.100.1"),  # trusted hops are skipped
        (PROXY, "198.51.100.1:52011", "198.51.100.1"),  # a port some proxies add
        (PROXY, "2001:db8::7", "2001:db8::7"),
        (PROXY, "[2001:db8::7]:443", "2001:db8::7"),
        (PROXY, "not-an-address", PROXY),
        (PROXY, f"{PROXY}, {PROXY}", PROXY),
    ],
)
def test_client_ip_address(rf, behind_proxy, remote, forwarded, expected):
    from newsroom.auth import client_ip_address

    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected


def test_trusted_proxies_accept_networks_and_any(rf, settings):
    from newsroom.auth import client_ip_address

    request = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.1")
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip_address(request) == "198.51.100.1"
    settings.TRUSTED_PROXIES = ["*"]
    assert client_ip_address(request) == "198.51.100.1"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    assert client_ip_address(request) == "10.1.2.3"
