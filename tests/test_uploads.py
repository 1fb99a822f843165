"""Request bodies are refused before they are read (newsroom/uploads.py).

The test client's request body is a FakePayload that fails any read past what was
really sent, so a request that *claims* 2 GB but carries a few bytes shows whether
anything tried to read the body. (tests/test_gunicorn.py does the same through a real
gunicorn and a socket.)
"""

import io

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
