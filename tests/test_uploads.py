"""Request bodies are refused before they are read (newsroom/uploads.py).

The test client's request body is a FakePayload that fails any read past what was
really sent, so a request that *claims* 2 GB but carries a few bytes shows whether
anything tried to read the body. (tests/test_gunicorn.py does the same through a real
gunicorn and a socket.)
"""

import io
import re
import shutil

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParser
from django.test import Client

from newsroom import uploads

TWO_GB = str(2 * 1024**3)
BOUNDARY = "newsroomboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(fields, files=()):
    """A multipart/form-data body: `fields` {name: text}, `files` [(name, filename, bytes)]."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    body = "".join(parts).encode()
    for name, filename, content in files:
        body += (
            (
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


def with_csrf(client):
    """A client holding a CSRF cookie (which makes CsrfViewMiddleware parse POST bodies)."""
    client.cookies["csrftoken"] = "a" * 32
    return client


def claim_two_gb(client, method, path, body=b"x" * 100):
    """Send a few bytes while the headers promise 2 GB."""
    return client.generic(method, path, body, content_type=MULTIPART, CONTENT_LENGTH=TWO_GB)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/search/", "/", "/stories/", "/robots.txt", "/no-such/"])
def test_public_urls_refuse_a_body_without_reading_it(db, method, path):
    response = claim_two_gb(with_csrf(Client()), method, path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_public_urls_still_answer_get_and_head(client, make_story):
    story = make_story()
    for path in ["/", "/search/?q=x", story.get_absolute_url()]:
        assert client.get(path).status_code == 200
        assert client.head(path).status_code == 200


def test_admin_refuses_a_declared_body_past_the_limit_unread(editor_client, settings):
    limit = uploads.max_body_bytes()
    assert limit == settings.NEWSROOM["PHOTO_MAX_BYTES"] + 1024 * 1024
    with_csrf(editor_client)
    for path in ["/admin/articles/story/add/", "/admin/login/", "/admin/no-such/"]:
        response = claim_two_gb(editor_client, "POST", path)
        assert response.status_code == 413, path
        assert b"at most 21 MB" in response.content
        assert b"a photo may have up to 20 MB" in response.content


def test_an_admin_413_is_a_page_in_the_admin_look_with_the_limit_and_a_way_back(
    editor_client, settings
):
    with_csrf(editor_client)
    response = claim_two_gb(editor_client, "POST", "/admin/articles/story/add/")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert 'id="site-name"' in page and "— editors" in page  # the admin's header
    assert "at most 21 MB can be sent at once" in page
    assert "a photo may have up to 20 MB" in page
    assert 'href="/admin/"' in page  # a way back into the admin
    # Outside the admin (an agency's push), a client reads plain text.
    response = claim_two_gb(Client(), "POST", "/wire/some-source/")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("path", "files"),
    [("/admin/articles/story/add/", 1), ("/admin/photos/photo/upload/", 30)],
)
def test_admin_file_inputs_state_the_upload_limit(editor_client, settings, path, files):
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_MAX_BYTES": 123_456}
    page = editor_client.get(path).content.decode()
    inputs = re.findall(r'<input type="file"[^>]*>', page)
    assert inputs
    for tag in inputs:
        assert 'data-max-bytes="123456"' in tag
        assert f'data-max-total-bytes="{123_456 * files}"' in tag
    assert "admin-extra/upload-limit" in page  # the script that checks them


def test_admin_limit_follows_the_photo_limit(editor_client, settings):
    settings.NEWSROOM = {
        **settings.NEWSROOM,
        "PHOTO_MAX_BYTES": 10_000,
        "UPLOAD_FORM_OVERHEAD_BYTES": 5_000,
    }
    body = multipart({"headline": "x"}, [("lead_photo", "big.jpg", b"\xff" * 20_000)])
    response = editor_client.post("/admin/articles/story/add/", body, content_type=MULTIPART)
    assert response.status_code == 413
    # A body within the limit reaches the form (which then names what is missing).
    body = multipart({"headline": "x"}, [("lead_photo", "small.jpg", b"\xff" * 1_000)])
    response = editor_client.post("/admin/articles/story/add/", body, content_type=MULTIPART)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


def test_admin_forms_still_work_within_the_limit(editor_client, make_story):
    story = make_story(status="draft")
    url = f"/admin/articles/story/{story.pk}/delete/"
    response = editor_client.post(url, {"post": "yes"})
    assert response.status_code == 302


# The upload handler: what a multipart parse really receives.


@pytest.fixture
def small_limit(settings, tmp_path):
    settings.NEWSROOM = {
        **settings.NEWSROOM,
        "PHOTO_MAX_BYTES": 1_000,
        "UPLOAD_FORM_OVERHEAD_BYTES": 500,
    }
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every file would go to a temporary file
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def parse(rf, body, declared=None):
    request = rf.post("/admin/", body, content_type=MULTIPART)
    meta = {**request.META, "CONTENT_LENGTH": str(len(body) if declared is None else declared)}
    handlers = [uploads.UploadLimitHandler(request), TemporaryFileUploadHandler(request)]
    return request, MultiPartParser(meta, io.BytesIO(body), handlers).parse()


def test_upload_handler_passes_what_fits(rf, small_limit):
    request, (post, files) = parse(rf, multipart({"a": "1"}, [("f", "p.jpg", b"y" * 800)]))
    assert post["a"] == "1" and files["f"].read() == b"y" * 800
    assert not getattr(request, "upload_too_large", False)


def test_upload_handler_refuses_a_declared_length_past_the_limit(rf, small_limit):
    body = multipart({"a": "1"}, [("f", "p.jpg", b"y" * 2_000)])
    with pytest.raises(uploads.UploadTooLarge):
        parse(rf, body)
    assert list(small_limit.iterdir()) == []  # no temporary file was started


def test_upload_handler_stops_a_stream_at_the_limit(rf, small_limit):
    # A body whose length was not declared up front: the bytes are counted as they
    # arrive, and the parse stops before the temporary file handler keeps any.
    body = multipart({"a": "1"}, [("f", "p.jpg", b"y" * 200_000)])
    request = rf.post("/admin/", body, content_type=MULTIPART)
    handler = uploads.UploadLimitHandler(request)
    handler.handle_raw_input(io.BytesIO(body), request.META, 0, BOUNDARY)
    assert handler.receive_data_chunk(b"y" * 1_000, 0) == b"y" * 1_000
    with pytest.raises(uploads.UploadTooLarge):
        handler.receive_data_chunk(b"y" * 1_000, 1_000)
    assert request.upload_too_large is True


def test_middleware_answers_413_when_the_handler_stopped_the_upload(rf, settings):
    def view(request):
        request.upload_too_large = True  # what UploadLimitHandler leaves behind
        return HttpResponse("400 from the parse error", status=400)

    middleware = uploads.RequestBodyLimitMiddleware(view)
    response = middleware(rf.post(f"/{settings.ADMIN_URL}articles/story/add/"))
    assert response.status_code == 413
    assert response["Cache-Control"] == "no-store"


# In the page: an oversized photo is refused before anything is sent.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_picking_an_oversized_photo_shows_why_beside_it_and_sends_nothing(
    live_server, editor, settings
):
    from django.urls import reverse

    from tests.test_csp_browser import CHROMIUM_ARGS, require

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(shutil.which(chromium), "Chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    settings.NEWSROOM = {**settings.NEWSROOM, "PHOTO_MAX_BYTES": 10 * 1024 * 1024}
    client = Client()
    client.force_login(editor)
    session = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    url = live_server.url + reverse("admin:articles_story_add")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{**session, "url": live_server.url}])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.fill("#id_headline", "Kept while the photo is refused")
        sent = []
        page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
        photo = page.locator("#id_new_photo")
        photo.set_input_files(
            {"name": "camera.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (11 * 1024 * 1024)}
        )
        note = page.locator("#id_new_photo-upload-limit")
        sync_api.expect(note).to_be_visible()
        sync_api.expect(note).to_have_attribute("role", "alert")
        sync_api.expect(note).to_contain_text("“camera.jpg” is 11.0 MB")
        sync_api.expect(note).to_contain_text("up to 10 MB")
        assert "id_new_photo-upload-limit" in photo.get_attribute("aria-describedby").split()
        page.locator('input[name="_save"]').click()
        page.wait_for_timeout(500)
        assert sent == []  # the form was not sent
        assert page.url == url
        assert page.input_value("#id_headline") == "Kept while the photo is refused"
        # A photo within the limit clears the message.
        photo.set_input_files(
            {"name": "small.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * 1024}
        )
        sync_api.expect(note).to_be_hidden()
        browser.close()
    assert errors == []
