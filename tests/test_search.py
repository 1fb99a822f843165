"""Search: one entry point, PostgreSQL full-text or the SQLite fallback behind it.

Unmarked tests run on both databases (the suite runs once per database); tests marked
`postgres` or `sqlite` cover what only that engine does.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from articles.importing import import_stories
from articles.models import Story
from articles.search import (
    MAX_QUERY_LENGTH,
    SEARCH_CONFIG,
    clean_query,
    highlighted,
    parse_query,
    search_stories,
)

MAX_QUERIES = 6


def found(query, **filters):
    return [story.headline for story in search_stories(query, **filters).stories]


def results_html(response):
    html = response.content.decode()
    start = html.find('<ol class="search-results">')
    return html[start : html.find("</ol>", start)] if start >= 0 else ""


# ------------------------------------------------------------------ query parsing


def test_clean_query_drops_control_characters_and_truncates():
    assert clean_query("  a\x00b \t\n c  ") == "a b c"
    assert len(clean_query("x" * 10_000)) == MAX_QUERY_LENGTH


def test_parse_query_reads_phrases_exclusions_and_or():
    parsed = parse_query('"north korea" -missile talks or summit !!! -')
    assert parsed.clauses == (("north korea",), ("talks", "summit"))
    assert parsed.excluded == ("missile",)


def test_parse_query_of_unbalanced_quote_takes_the_rest_as_a_phrase():
    assert parse_query('"unbalanced quote').clauses == (("unbalanced quote",),)


def test_highlighted_escapes_text_and_marks_terms_case_insensitively():
    assert highlighted("<b>Korea</b> & korea", ["korea"]) == (
        "&lt;b&gt;<mark>Korea</mark>&lt;/b&gt; &amp; <mark>korea</mark>"
    )


# --------------------------------------------------------------- finding, ranking


def test_search_finds_public_stories_by_any_field(make_story):
    make_story("Ferry service resumes", dek="", body="<p>Nothing else.</p>")
    make_story("Budget talks", dek="The ferry operators want money.", body="<p>x</p>")
    make_story("Weather", dek="", body="<p>Rain delays the ferry crossing.</p>")
    make_story("Unrelated", dek="", body="<p>Markets.</p>")
    assert sorted(found("ferry")) == ["Budget talks", "Ferry service resumes", "Weather"]


def test_headline_match_ranks_above_dek_above_body(make_story):
    now = timezone.now()
    # The body match is the newest, the headline match the oldest: rank beats recency.
    make_story("Budget", dek="", body="<p>The harbour budget.</p>", published_at=now)
    make_story(
        "Dek",
        dek="A harbour plan.",
        body="<p>Other.</p>",
        published_at=now - timedelta(hours=1),
    )
    make_story(
        "Harbour reopens",
        dek="",
        body="<p>Other.</p>",
        published_at=now - timedelta(hours=2),
    )
    assert found("harbour") == ["Harbour reopens", "Dek", "Budget"]


def test_recency_breaks_ties_between_equal_matches(make_story):
    now = timezone.now()
    for hours in (3, 1, 2):
        make_story(
            f"Harbour news {hours}",
            dek="",
            body="<p>Same text.</p>",
            published_at=now - timedelta(hours=hours),
        )
    assert found("harbour") == ["Harbour news 1", "Harbour news 2", "Harbour news 3"]


def test_every_word_must_match(make_story):
    make_story("Seoul subway extends hours", dek="", body="<p>x</p>")
    make_story("Seoul weather", dek="", body="<p>x</p>")
    assert found("seoul subway") == ["Seoul subway extends hours"]


def test_quoted_phrase_and_excluded_word(make_story):
    make_story("North Korea fires missiles", dek="", body="<p>x</p>")
    make_story("North Korea proposes talks", dek="", body="<p>x</p>")
    make_story("Korea north coast storm", dek="", body="<p>x</p>")
    assert found('"north korea" -missiles') == ["North Korea proposes talks"]


def test_or_matches_either_word(make_story):
    make_story("Ferry returns", dek="", body="<p>x</p>")
    make_story("Subway returns", dek="", body="<p>x</p>")
    make_story("Bus returns", dek="", body="<p>x</p>")
    assert sorted(found("ferry or subway")) == ["Ferry returns", "Subway returns"]


def test_korean_word_finds_it_with_a_particle_attached(make_story):
    make_story("지하철 연장", dek="", body="<p>서울시는 심야 운행을 연장한다.</p>")
    make_story("부산 소식", dek="", body="<p>부산시는 발표했다.</p>")
    assert found("서울") == ["지하철 연장"]


def test_imported_and_reimported_stories_are_searchable(tmp_path, db):
    path = tmp_path / "wire-1.txt"
    path.write_text("Lighthouse keepers strike\nThe keepers want better pay.\n", "utf-8")
    import_stories([path], status=Story.Status.PUBLISHED)
    assert found("lighthouse") == ["Lighthouse keepers strike"]
    path.write_text("Ferry crews strike\nThe crews want better pay.\n", "utf-8")
    import_stories([path])
    assert found("lighthouse") == []
    assert found("ferry") == ["Ferry crews strike"]


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_hidden_stories_never_match(make_story, status):
    if status == "draft":
        make_story("Embargoed harbour deal", status=Story.Status.DRAFT)
    else:
        make_story("Embargoed harbour deal", published_at=timezone.now() + timedelta(hours=1))
    make_story("Public harbour news")
    assert found("harbour") == ["Public harbour news"]
    assert found("embargoed") == []


def test_filters_by_section_and_tag(make_story, make_section):
    business = make_section("Business", slug="business")
    make_story("Port strike", tags=["Labour"])
    make_story("Port shares fall", section=business, tags=["Markets"])
    make_story("Port profits", section=business, tags=["Labour"])
    assert sorted(found("port", section="business")) == ["Port profits", "Port shares fall"]
    assert sorted(found("port", tag="labour")) == ["Port profits", "Port strike"]
    assert found("port", section="business", tag="labour") == ["Port profits"]
    assert found("port", section="no-such-section") == []


# ------------------------------------------------------------------------ the page


def test_search_page_lists_highlighted_results(client, make_story):
    make_story(
        "Harbour reopens <b>today</b>",
        dek="Ferries & harbour boats return.",
        body="<p>Long text before. The harbour was closed for a week.</p>",
    )
    response = client.get("/search/", {"q": "harbour"})
    assert response.status_code == 200
    html = results_html(response)
    assert "<mark>Harbour</mark> reopens &lt;b&gt;today&lt;/b&gt;" in html
    assert "Ferries &amp; <mark>harbour</mark> boats return." in html
    assert "The <mark>harbour</mark> was closed" in html
    assert "1 result for “harbour”" in response.content.decode()


def test_empty_query_shows_a_prompt(client, make_story):
    make_story()
    response = client.get("/search/")
    assert response.status_code == 200
    assert "Type a word or two" in response.content.decode()
    assert results_html(response) == ""


HOSTILE_QUERIES = [
    "",
    " ",
    "x" * 10_000,
    "'; DROP TABLE articles_story; --",
    "<script>alert(1)</script>",
    '"unbalanced',
    "-",
    "!!!",
    "\x00",
    "서울",
    "a & b | !c <-> d:*",
    "'' \\ % _ ( ) : * &",
    " or ".join(f"w{n}" for n in range(100)),
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_any_query_gives_a_normal_page(client, make_story, query):
    make_story("Harbour news", dek="", body="<p>서울 harbour</p>")
    response = client.get("/search/", {"q": query, "section": query, "tag": query, "page": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert Story.objects.count() == 1


@given(text=st.text(max_size=60))
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_search_never_fails_on_any_text(make_story, text):
    if not Story.objects.exists():
        make_story("Harbour news", dek="", body="<p>서울 harbour</p>")
    results = search_stories(text)
    results.highlight(results.stories[:5])
    results.tag_facets()


def test_search_results_paginate_and_links_keep_the_query(client, settings, make_story):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 2}
    for n in range(5):
        make_story(f"Harbour story {n}", tags=["Ports"])
    page_one = client.get("/search/", {"q": "harbour", "tag": "ports"}).content.decode()
    assert 'href="?q=harbour&amp;tag=ports&amp;page=2"' in page_one
    page_three = client.get("/search/", {"q": "harbour", "tag": "ports", "page": "3"})
    assert results_html(page_three).count("<article") == 1
    assert "Page 3 of 3" in page_three.content.decode()


def test_search_page_offers_section_and_tag_filters(client, make_story, make_section):
    make_story("Markets rally", section=make_section("Business", slug="business"))
    make_story("Harbour strike", tags=["Labour", "Ports"])
    html = client.get("/search/", {"q": "harbour", "section": "business"}).content.decode()
    assert '<option value="business" selected>Business</option>' in html
    html = client.get("/search/", {"q": "harbour"}).content.decode()
    assert 'href="?q=harbour&amp;tag=labour"' in html
    assert '<select id="search-tag" name="tag">' in html


def test_search_page_is_not_indexed(client, db):
    assert 'name="robots" content="noindex, follow"' in client.get("/search/?q=x").content.decode()


def test_header_search_form_is_on_every_page(client, make_story):
    story = make_story()
    for url in ["/", story.get_absolute_url(), "/search/?q=x", "/no-such-page/"]:
        html = client.get(url).content.decode()
        assert '<form class="site-search" role="search" action="/search/" method="get">' in html
        assert '<label class="visually-hidden" for="site-search-q">' in html
        assert 'id="site-search-q" type="search" name="q"' in html


@pytest.mark.parametrize("size", [2, 12])
def test_search_page_query_count_is_bounded(
    client, settings, make_story, make_author, django_assert_max_num_queries, size
):
    settings.NEWSROOM = {**settings.NEWSROOM, "STORIES_PER_PAGE": 5}
    authors = [make_author() for _ in range(size)]
    for n in range(size):
        make_story(f"Harbour {n}", authors=authors, tags=[f"tag {m}" for m in range(size)])
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/search/", {"q": "harbour", "tag": "tag-1", "page": "1"})
    assert response.status_code == 200


# ---------------------------------------------------------------- engine specifics


@pytest.mark.postgres
def test_postgres_stems_english_words(make_story):
    make_story("Ministers meet in Seoul", dek="", body="<p>x</p>")
    assert found("meeting") == ["Ministers meet in Seoul"]


@pytest.mark.postgres
def test_postgres_search_vector_follows_every_write_path(make_story):
    story = make_story("Original headline", dek="", body="<p>x</p>")
    assert found("original") == ["Original headline"]
    Story.objects.filter(pk=story.pk).update(headline="Replaced headline")  # no save()
    assert found("original") == []
    assert found("replaced") == ["Replaced headline"]
    [bulk] = Story.objects.bulk_create(
        [
            Story(
                headline="Bulk harbour",
                slug="bulk",
                section=story.section,
                status="published",
                published_at=timezone.now() - timedelta(minutes=1),
            )
        ]
    )
    assert found("harbour") == [bulk.headline]


@pytest.mark.postgres
def test_postgres_trigger_and_queries_use_the_same_configuration(make_story):
    story = make_story("Ferries", dek="Dek words", body="<p>Body <b>words</b></p>")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector = setweight(to_tsvector(%s::regconfig, headline), 'A')"
            " || setweight(to_tsvector(%s::regconfig, dek), 'B')"
            " || setweight(to_tsvector(%s::regconfig, body), 'C')"
            " FROM articles_story WHERE id = %s",
            [SEARCH_CONFIG] * 3 + [story.pk],
        )
        assert cursor.fetchone() == (True,)


@pytest.mark.postgres
def test_postgres_search_uses_the_gin_index(make_story):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'articles_story'"
            " AND indexname = 'articles_story_search_gin'"
        )
        assert "USING gin (search_vector)" in cursor.fetchone()[0]


@pytest.mark.postgres
def test_postgres_excerpt_has_no_markup_from_the_body(make_story):
    make_story(
        "Story",
        dek="",
        body='<p>Fish &amp; chips <a href="https://example.com/?a&amp;b">by the harbour</a></p>',
    )
    results = search_stories("harbour")
    [story] = results.highlight(results.stories)
    assert story.excerpt_html == "Fish &amp; chips by the <mark>harbour</mark>"


@pytest.mark.sqlite
def test_sqlite_fallback_matches_inside_words(make_story):
    make_story("Korean exports rise", dek="", body="<p>x</p>")
    assert found("korea") == ["Korean exports rise"]


@pytest.mark.sqlite
def test_sqlite_fallback_leaves_the_search_vector_empty(make_story):
    make_story("Harbour")
    assert Story.objects.filter(search_vector__isnull=False).count() == 0


def test_a_common_word_ranks_only_the_newest_matches(client, make_story, monkeypatch):
    from articles import search

    monkeypatch.setattr(search, "MAX_RANKED", 3)
    for n in range(5):
        make_story(f"Harbour story {n}")
    page = client.get("/search/?q=harbour").content.decode()
    assert "More than 3 results for “harbour”" in page
    assert "story 0<" in page and "story 4<" not in page  # the oldest is left out
    few = client.get("/search/?q=%22harbour+story+1%22").content.decode()
    assert "1 result for" in few
