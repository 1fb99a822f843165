"""Hostile input: what strangers send, and what a careless or malicious editor types.

- Property-based (hypothesis): arbitrary paths, slugs, page numbers, query strings,
  headers and form values against every public URL never produce a server error.
- Raw sockets against the live gunicorn: malformed requests never produce a 5xx.
- Stored XSS: script-like text in every editor field comes out inert on every public
  output listed in tests/public_pages.py (pages, and feeds/sitemaps where they exist).
"""

import json
import re
import socket
import xml.etree.ElementTree as ET
from urllib.parse import quote, quote_from_bytes, urlencode

import html5lib
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from articles.models import Author, Section, Story
from tests.public_pages import NOT_FOUND_PATH, machine_outputs, optional_reverse, pages_for

ALLOWED_STATUSES = {200, 301, 302, 304, 400, 404, 405}
FUZZ = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def newsroom(make_story, make_author, photo_upload):
    """A few public stories with everything a page can show, and one draft."""
    kim, lee = make_author("Kim Min-ji", slug="kim-min-ji"), make_author("이서준", slug="이서준")
    linked = make_story("Linked story", tags=["Seoul"], authors=[lee])
    story = make_story(
        "Ferries return to the Han",
        body="<p>The <strong>ferries</strong> are back.</p>",
        authors=[kim, lee],
        tags=["Seoul", "Transport"],
        related=[("Wire: ferries", "https://example.com/w", None), ("", "", linked)],
        lead_photo=photo_upload(),
        photo_alt="A ferry",
    )
    make_story("A draft", status=Story.Status.DRAFT, tags=["Secret"])
    return story


def public_paths(story):
    tag = story.tags.order_by("name").first()
    author = story.story_authors.first().author
    pages = pages_for(story, tag=tag, section=story.section, author=author, word="ferries")
    outputs = machine_outputs(tag=tag, section=story.section, author=author)
    return [page.path.split("?")[0] for page in pages + outputs]


def check(response, also=()):
    allowed = ALLOWED_STATUSES | set(also)
    assert response.status_code in allowed, (response.status_code, response.request)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Traceback" not in body
    assert b"Internal Server Error" not in body


# Strategies: what arrives in a request line and its headers.
any_text = st.text(max_size=60) | st.text(max_size=20).map(lambda text: text * 200)
latin1_text = st.text(st.characters(max_codepoint=255, exclude_categories=["Cs"]), max_size=80)
segment = (
    any_text.map(lambda text: quote(text, safe=""))
    | st.binary(max_size=40).map(lambda data: quote_from_bytes(data, safe=""))
    | st.sampled_from(["%00", "%2e%2e", "..", "%2f", "%ff%fe", "%c0%ae", ".", "~", "%0d%0a"])
)
prefixes = st.sampled_from(
    ["/", "/stories/", "/sections/", "/tags/", "/authors/", "/search/", "/media/", "/static/"]
)
page_numbers = (
    st.integers(min_value=-(10**30), max_value=10**30).map(str)
    | st.sampled_from(["last", "1.5", "1e9", "0x10", " 2", "2 ", "", "%00"])
    | st.text(max_size=20)
)
query_strings = st.dictionaries(any_text, any_text, max_size=4).map(urlencode)


@FUZZ
@given(prefix=prefixes, segments=st.lists(segment, min_size=1, max_size=3), slash=st.booleans())
def test_arbitrary_paths_and_slugs_are_never_a_server_error(
    newsroom, client, prefix, segments, slash
):
    check(client.get(prefix + "/".join(segments) + ("/" if slash else "")))


@FUZZ
@given(page=page_numbers, query=query_strings, which=st.integers(min_value=0))
def test_page_numbers_and_query_strings_are_never_a_server_error(
    newsroom, client, page, query, which
):
    paths = public_paths(newsroom)
    path = paths[which % len(paths)]
    check(client.get(f"{path}?page={quote(page, safe='')}&{query}"))
    search = optional_reverse("articles:search")
    if search:
        check(client.get(f"{search}?q={quote(page, safe='')}&{query}"))


@FUZZ
@given(
    host=st.sampled_from(["testserver", "127.0.0.1", "localhost:8000"]) | latin1_text,
    headers=st.dictionaries(
        st.sampled_from(
            [
                "HTTP_ACCEPT",
                "HTTP_ACCEPT_LANGUAGE",
                "HTTP_ACCEPT_ENCODING",
                "HTTP_COOKIE",
                "HTTP_IF_NONE_MATCH",
                "HTTP_IF_MODIFIED_SINCE",
                "HTTP_RANGE",
                "HTTP_REFERER",
                "HTTP_USER_AGENT",
                "HTTP_X_FORWARDED_FOR",
                "HTTP_X_FORWARDED_HOST",
                "HTTP_X_FORWARDED_PROTO",
                "HTTP_X_REQUESTED_WITH",
            ]
        ),
        latin1_text,
    ),
    method=st.sampled_from(["get", "head", "post", "options", "put", "delete"]),
    which=st.integers(min_value=0),
)
def test_arbitrary_headers_and_methods_are_never_a_server_error(
    newsroom, client, host, headers, method, which
):
    paths = public_paths(newsroom)
    response = getattr(client, method)(paths[which % len(paths)], HTTP_HOST=host, **headers)
    check(response)


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["username", "password", "next", "this_is_the_login_form", "extra"]),
        any_text,
    )
)
def test_arbitrary_admin_login_forms_are_never_a_server_error(newsroom, fields, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client(enforce_csrf_checks=True)
    login = "/" + settings.ADMIN_URL + "login/"
    client.get(login)
    fields["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    # Refusing to try again (a lock-out after repeated failures: 403 or 429) is an answer.
    check(client.post(login, fields), also={403, 429})


# Raw requests, straight onto the live gunicorn's socket.
RAW_REQUESTS = {
    "garbage request line": b"GARBAGE\r\n\r\n",
    "no version": b"GET /\r\n\r\n",
    "bad version": b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    "NUL in the path": b"GET /stories/\x00/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "raw UTF-8 in the path": "GET /tags/한강/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
    "invalid UTF-8 in the path": b"GET /tags/\xff\xfe/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "very long request line": b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "huge header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n",
    "too many headers": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    + b"".join(b"X-H%d: v\r\n" % n for n in range(500))
    + b"\r\n",
    "header without a colon": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
    "folded header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: one\r\n two\r\n\r\n",
    "absolute URI to elsewhere": b"GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    "content length lies": b"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Length: 100\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nabc",
    "bad chunked body": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\nnot hex\r\n0\r\n\r\n",
    "both lengths": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "negative length": b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
    "bare LF line ends": b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n",
}


def raw_exchange(port, payload):
    """Send `payload`, half-close, and return the status line (b"" if none came back)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The server may stop reading a request it has already refused.
        data = b""
        try:
            while b"\r\n" not in data and len(data) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return data.split(b"\r\n", 1)[0]


def test_malformed_raw_requests_never_get_a_server_error(live_site):
    answers = {name: raw_exchange(live_site.site.port, raw) for name, raw in RAW_REQUESTS.items()}
    server_errors = {name: line for name, line in answers.items() if re.match(rb"HTTP/\S+ 5", line)}
    assert server_errors == {}
    # Each was answered (or closed) without harm: the site still serves.
    assert live_site.get("/").status == 200


# Stored XSS: every field an editor fills, with text that would run if it were not escaped.
def payload(field):
    return f'{field} "><svg onload=alert("{field}")><script>alert("{field}")</script>'


JS_URL = "javascript:alert(document.cookie)"
HOSTILE_BODY = (
    '<p onclick="alert(1)">Body <a href="javascript:alert(1)">link</a></p>'
    '<script>alert("body")</script><img src=x onerror=alert("body")>'
    '<svg onload=alert("body")></svg><iframe src="javascript:alert(1)"></iframe>'
    '<a href=" JaVaScRiPt:alert(1)">spaced</a><style>*{color:red}</style>'
)


@pytest.fixture
def hostile_newsroom(make_story, photo_upload):
    section = Section.objects.create(
        name=payload("section"), slug="hostile-section", description=payload("description")
    )
    author = Author.objects.create(name=payload("author"), slug="hostile", bio=payload("bio"))
    linked = make_story(payload("linked headline"), section=section, tags=[payload("tag")])
    story = make_story(
        payload("headline"),
        section=section,
        dek=payload("dek"),
        body=HOSTILE_BODY,
        authors=[author],
        tags=[payload("tag")],
        lead_photo=photo_upload(),
        photo_caption=payload("caption"),
        photo_credit=payload("credit"),
        photo_alt=payload("alt"),
        # The ORM skips the URL validator the admin applies: the pages must not rely on it.
        related=[
            (payload("related"), JS_URL, None),
            (payload("related2"), 'https://example.com/"><svg onload=alert(1)>', None),
            ("", "", linked),
        ],
    )
    # Enough stories for a second page of every list, all carrying the payloads.
    for n in range(13):
        make_story(f"Filler {n}", section=section, authors=[author], tags=[payload("tag")])
    return story


def is_javascript_url(value):
    # Browsers ignore surrounding spaces and control characters, and tabs/newlines inside.
    cleaned = re.sub(r"[\t\n\r]", "", value).strip("\x00\x01\x02\x03 \x0b\x0c").lower()
    return cleaned.startswith(("javascript:", "vbscript:", "data:text/html"))


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}


def active_content(html):
    """What in `html` could run script: handlers, scripts, javascript: URLs, frames."""
    document = html5lib.parse(html, namespaceHTMLElements=False)
    found = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # A comment.
        tag = element.tag.split("}")[-1].lower()
        for name, value in element.attrib.items():
            name = name.split("}")[-1].lower()
            if name.startswith("on"):
                found.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and is_javascript_url(value):
                found.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            if element.get("type") != "application/ld+json":
                found.append(f"<script>{(element.text or '')[:40]}")
            else:
                # Structured data is text for machines; it must parse (no </script> in
                # it broke it off early) and hold no javascript: URL.
                found.extend(active_json(json.loads(element.text or "null")))
        if tag in {"iframe", "object", "embed", "base"}:
            found.append(f"<{tag}>")
        if tag == "meta" and element.get("http-equiv", "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
    return found


def active_json(value, key=""):
    """javascript: URLs anywhere in a JSON document, and active content in its HTML.

    Only fields that are HTML by their format's definition (JSON Feed's `*_html`) are
    read as HTML; other strings are text and inert whatever they contain.
    """
    found = []
    if isinstance(value, dict):
        for name, item in value.items():
            found.extend(active_json(item, str(name)))
    elif isinstance(value, list):
        for item in value:
            found.extend(active_json(item, key))
    elif isinstance(value, str):
        if is_javascript_url(value):
            found.append(f"JSON {key}={value!r}")
        elif key.endswith("_html"):
            found.extend(active_content(value))
    return found


RSS_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def active_xml(body):
    """Feeds and sitemaps: handlers and javascript: URLs on any element, and active
    content in the elements that carry HTML (an RSS item's description and
    content:encoded, Atom text constructs of type "html"). Other text is text, like an
    RSS channel's description, which RSS 2.0 defines as a phrase."""
    found = []
    root = ET.fromstring(body)
    parent = {child: element for element in root.iter() for child in element}
    for element in root.iter():
        tag = element.tag.split("}")[-1]
        for name, value in element.attrib.items():
            local = name.split("}")[-1].lower()
            if local.startswith("on"):
                found.append(f"XML <{tag} {local}=…>")
            if local in URL_ATTRIBUTES | {"url"} and is_javascript_url(value):
                found.append(f"XML <{tag} {local}={value!r}>")
        text = element.text or ""
        if is_javascript_url(text):
            found.append(f"XML <{tag}>{text!r}")
        carries_html = (
            (element.tag == "description" and getattr(parent.get(element), "tag", "") == "item")
            or element.tag == RSS_CONTENT
            or element.get("type") == "html"
        )
        if carries_html and text:
            found.extend(active_content(text))
    return found


def visible_text(html):
    document = html5lib.parse(html, namespaceHTMLElements=False)
    texts = []
    for element in document.iter():
        if isinstance(element.tag, str) and element.tag not in {"script", "style"}:
            texts.append(element.text or "")
        texts.append(element.tail or "")
        texts.extend(element.attrib.values() if isinstance(element.tag, str) else [])
    return "".join(texts)


def test_script_in_editor_fields_comes_out_inert_everywhere(hostile_newsroom, client):
    story = hostile_newsroom
    tag = story.tags.get()
    author = story.story_authors.get().author
    pages = pages_for(story, tag=tag, section=story.section, author=author, word="alert")
    outputs = machine_outputs(tag=tag, section=story.section, author=author)
    assert {"home", "home_page_2", "story", "section", "tag", "author"} <= {p.kind for p in pages}

    problems = {}
    for page in pages + outputs:
        response = client.get(page.path)
        assert response.status_code == page.status, page
        body = response.content.decode()
        content_type = response.headers["Content-Type"].split(";")[0]
        if content_type == "text/html":
            found = active_content(body)
        elif content_type.endswith("json"):
            found = active_json(json.loads(body))
        elif content_type.endswith("xml"):
            found = active_xml(body)
        else:
            found = ["<script" for _ in re.findall("<script", body, re.IGNORECASE)]
        if found:
            problems[page.path] = found
    assert problems == {}

    # The text arrived, escaped: readers see exactly what the editor typed.
    story_page = visible_text(client.get(story.get_absolute_url()).content.decode())
    for field in ("headline", "dek", "caption", "credit", "alt", "author", "section", "tag"):
        assert payload(field) in story_page, field
    assert payload("related") in story_page
    section_page = visible_text(client.get(story.section.get_absolute_url()).content.decode())
    assert payload("description") in section_page
    author_page = visible_text(client.get(author.get_absolute_url()).content.decode())
    assert payload("bio") in author_page


def test_not_found_page_does_not_echo_the_path_unescaped(client, db):
    response = client.get(NOT_FOUND_PATH + quote('"><svg onload=alert(1)>', safe=""))
    assert response.status_code == 404
    assert active_content(response.content.decode()) == []
