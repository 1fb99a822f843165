"""Operators' side: health checks, request ids and logs, database outages."""

import json
import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from newsroom import health
from newsroom.logging import RequestIdFilter, clean_request_id, request_id_var


def test_healthz_answers_without_the_database(client):
    # No database access is allowed in this test (no django_db mark).
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_checks_database_cache_and_migrations(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert response["Cache-Control"] == "no-store"
    # Once migrations are known to be applied, they are not checked again.
    with mock.patch.object(health, "MigrationExecutor") as executor:
        assert client.get("/readyz").status_code == 200
    executor.assert_not_called()


@pytest.mark.django_db
def test_readyz_reports_unapplied_migrations(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    with mock.patch.object(health.MigrationExecutor, "migration_plan", return_value=[1, 2]):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["database"] == "2 migrations not applied"


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_down(client):
    with mock.patch.object(health, "_check_database", side_effect=OperationalError("down")):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "unavailable: OperationalError"


@pytest.mark.django_db
def test_readyz_stays_ready_but_degraded_when_the_cache_fails(client):
    # A shared Redis that fails must not take every host out of rotation: pages are
    # served without it. The failure is reported, not fatal.
    with mock.patch.object(health.cache, "set", side_effect=ConnectionError("redis down")):
        response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "degraded: ConnectionError"},
    }
    # The resilient Redis backend turns errors into misses: what was stored is not read.
    with mock.patch.object(health.cache, "get", return_value=None):
        response = client.get("/readyz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["status"] == "degraded"
    assert body["checks"]["cache"] == "degraded: cache did not return what was stored"


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_is_down_even_with_the_cache_down(client):
    with (
        mock.patch.object(health, "_check_database", side_effect=OperationalError("down")),
        mock.patch.object(health.cache, "set", side_effect=ConnectionError("redis down")),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content)["status"] == "unavailable"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_answer_probes_by_ip_address(path, settings):
    settings.ALLOWED_HOSTS = ["news.example.com"]
    client = Client()
    assert client.get(path, HTTP_HOST="10.0.3.17:8000").status_code == 200
    # Every other path still refuses an unknown host.
    assert client.get("/", HTTP_HOST="10.0.3.17:8000").status_code == 400
    assert client.get(path + "/", HTTP_HOST="10.0.3.17:8000").status_code == 400
    assert client.post(path, HTTP_HOST="10.0.3.17:8000").status_code == 400


def test_health_checks_are_not_in_the_sitemaps(client, make_story):
    make_story()
    for url in ("/sitemap.xml", "/sitemap-stories.xml", "/robots.txt"):
        response = client.get(url)
        assert b"healthz" not in response.content and b"readyz" not in response.content


@pytest.mark.django_db
def test_request_id_is_honoured_when_sane_and_made_otherwise(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234_abc.9")["X-Request-ID"] == (
        "lb-1234_abc.9"
    )
    for bad in ("x" * 65, "a b", "evil\nline", "ü"):
        made = client.get("/", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert made != bad and len(made) == 32
    assert len(client.get("/")["X-Request-ID"]) == 32


def test_clean_request_id():
    assert clean_request_id("abc-DEF_1.2") == "abc-DEF_1.2"
    assert clean_request_id("") != ""
    assert clean_request_id("a;b") != "a;b"


def test_log_lines_carry_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert record.request_id == "req-42"
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


@pytest.mark.django_db
def test_database_errors_give_a_friendly_503(client, caplog, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    with (
        mock.patch(
            "articles.views.StoryListView.stories",
            side_effect=OperationalError("connection refused"),
        ),
        caplog.at_level(logging.ERROR, logger="newsroom.request"),
    ):
        response = client.get("/", HTTP_X_REQUEST_ID="outage-1")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert b"back in a moment" in response.content
    assert b"Traceback" not in response.content and b"connection refused" not in response.content
    (record,) = [r for r in caplog.records if r.name == "newsroom.request"]
    assert record.exc_info and record.request_id == "outage-1"
