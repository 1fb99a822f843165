"""A story's language: carried from the wire, chosen by editors, told to readers' browsers
and screen readers, search engines and feed readers (issue 23, "Language is lost")."""

import io
import json
import re
from xml.etree import ElementTree

import feedparser
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from articles import languages
from articles.demo import stories as demo
from articles.fronts.models import Front
from articles.importing import StoryImportError, import_stories
from articles.metadata import story_json_ld
from articles.models import Story
from articles.wire import ingest
from articles.wire.formats import parse
from articles.wire.models import WireSource
from tests.admin_pages import form_fields
from tests.test_admin import change_url
from tests.test_demo import demo_loaded_once, quick_photos  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

KOREAN = "서울 지하철 심야 운행 연장"


@pytest.fixture
def korean(make_story):
    return make_story(KOREAN, dek="막차가 오전 1시 30분까지 운행된다.", language="ko")


def html_lang(response):
    return re.search(r'<html lang="([^"]*)"', response.content.decode()).group(1)


def json_ld(response):
    scripts = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    return [json.loads(script) for script in scripts]


# Tags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [("ko", "ko"), ("en-gb", "en-GB"), ("en_GB", "en-GB"), ("zh-hant-tw", "zh-Hant-TW")],
)
def test_tags_are_stored_in_their_canonical_form(given, stored):
    assert languages.normalize(given) == stored


@pytest.mark.parametrize("given", ["English", "xx-zz", "und", "x-private", '"><script>', ""])
def test_what_is_not_a_language_tag_is_refused(given):
    with pytest.raises(ValueError):
        languages.normalize(given)
    assert languages.normalize(given, default="en") == "en"


@pytest.mark.parametrize(
    ("tag", "google"),
    [("ko", "ko"), ("en-GB", "en"), ("zh-Hans", "zh-cn"), ("zh-TW", "zh-tw"), ("zh-Hant", "zh-tw")],
)
def test_the_news_sitemap_uses_googles_codes(tag, google):
    assert languages.news_language(tag) == google


def test_a_story_has_the_sites_language_unless_told_otherwise(make_story, settings):
    assert make_story().language == "en"


# Pages ----------------------------------------------------------------------------


def test_a_korean_storys_page_is_in_korean_and_the_sites_own_words_say_english(korean, client):
    response = client.get(korean.get_absolute_url())

    assert html_lang(response) == "ko"
    content = response.content.decode()
    assert '<header class="masthead" lang="en">' in content
    assert '<footer class="site-footer" lang="en">' in content
    assert '<p class="meta" lang="en">' in content
    article = next(data for data in json_ld(response) if data["@type"] == "NewsArticle")
    assert article["inLanguage"] == "ko"


def test_a_stored_page_keeps_its_language(korean, client, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    url = korean.get_absolute_url()
    client.get(url)
    again = client.get(url)

    assert again["X-Cache"] == "hit"
    assert html_lang(again) == "ko"
    # Another host name is another page, printed from the stored article fragment.
    other_host = client.get(url, HTTP_HOST="127.0.0.1")
    assert other_host["X-Cache"] != "hit"
    assert html_lang(other_host) == "ko"
    assert '<header class="masthead" lang="en">' in other_host.content.decode()


def test_a_page_in_the_sites_language_marks_nothing_extra(make_story, client):
    story = make_story("Budget passes")

    response = client.get(story.get_absolute_url())

    assert html_lang(response) == "en"
    assert ' lang="en"' not in response.content.decode().split("<html", 1)[1].split(">", 1)[1]


def test_the_home_pages_cards_mark_a_korean_headline_and_dek(korean, make_story, client):
    english = make_story("Budget passes")
    Front.objects.filter(section=None).delete()  # the plain latest list

    content = client.get("/").content.decode()

    assert html_lang(client.get("/")) == "en"
    assert re.search(rf'class="card__headline" lang="ko"><a [^>]*>{KOREAN}<', content)
    assert '<p class="card__dek" lang="ko">' in content
    assert re.search(rf'class="card__headline"><a [^>]*>{english.headline}<', content)


def test_a_korean_search_result_is_marked_korean(korean, client):
    content = client.get("/search/", {"q": "지하철"}).content.decode()

    assert re.search(r'<h2 class="card__headline" lang="ko">', content)


def test_a_cached_card_follows_a_change_of_language(korean, client, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True, "SECONDS": 300}
    Front.objects.filter(section=None).delete()
    assert 'lang="ko"' in client.get("/").content.decode()
    assert client.get("/")["X-Cache"] == "hit"

    korean.language = "en"
    korean.save()

    assert 'lang="ko"' not in client.get("/").content.decode()


def test_json_ld_says_the_storys_language(korean):
    [article, _] = story_json_ld(korean, [])
    assert article["inLanguage"] == "ko"


# Feeds and the news sitemap ---------------------------------------------------------


def test_feeds_say_each_items_language_and_the_channel_the_sites(korean, make_story, client):
    make_story("Budget passes")

    atom = client.get("/feeds/atom/").content.decode()
    entries = ElementTree.fromstring(atom).findall("{http://www.w3.org/2005/Atom}entry")
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    by_title = {e.findtext("{http://www.w3.org/2005/Atom}title"): e.get(xml_lang) for e in entries}
    assert by_title == {KOREAN: "ko", "Budget passes": "en"}

    rss = feedparser.parse(client.get("/feeds/rss/").content)
    assert rss.feed.language == "en"
    assert {entry.title: entry.get("language") for entry in rss.entries} == {
        KOREAN: "ko",
        "Budget passes": "en",
    }

    feed = json.loads(client.get("/feed.json").content)
    assert feed["language"] == "en"
    assert {item["title"]: item["language"] for item in feed["items"]} == {
        KOREAN: "ko",
        "Budget passes": "en",
    }


def test_the_news_sitemap_lists_a_korean_story_as_korean(korean, make_story, client):
    english = make_story("Budget passes", language="en-GB")

    root = ElementTree.fromstring(client.get("/news-sitemap.xml").content)
    ns = {
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
        "news": "http://www.google.com/schemas/sitemap-news/0.9",
    }
    found = {
        url.findtext("s:loc", namespaces=ns).rsplit("/stories/", 1)[1]: url.findtext(
            "news:news/news:publication/news:language", namespaces=ns
        )
        for url in root.findall("s:url", ns)
    }
    assert found == {
        korean.get_absolute_url().rsplit("/stories/", 1)[1]: "ko",
        f"{english.slug}/": "en",
    }


# The wire ---------------------------------------------------------------------------

NINJS_KO = json.dumps(
    {
        "uri": "urn:newsml:agency.example:2031:seoul-subway",
        "version": "1",
        "type": "text",
        "language": "ko",
        "headline": KOREAN,
        "body_html": "<p>서울시는 심야 운행을 연장한다고 밝혔다.</p>",
    },
    ensure_ascii=False,
).encode()

G2_EN_GB = b"""<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:agency.example:2031:rail"
    version="1" standard="NewsML-G2" standardversion="2.33" xml:lang="en-GB">
  <itemMeta><itemClass qcode="ninat:text"/><pubStatus qcode="stat:usable"/></itemMeta>
  <contentMeta><headline>Rail strike called off after overnight talks</headline></contentMeta>
  <contentSet>
    <inlineXML contenttype="application/xhtml+xml">
      <html xmlns="http://www.w3.org/1999/xhtml"><body><p>The colour of the talks.</p></body></html>
    </inlineXML>
  </contentSet>
</newsItem>
"""


@pytest.fixture
def source(db, section):
    def make(format_name):
        return WireSource.objects.create(
            name=f"Agency {format_name}",
            slug=format_name,
            format=format_name,
            default_section=section,
        )

    return make


def test_a_korean_ninjs_item_makes_a_korean_draft(source):
    item, _ = ingest.receive(source("ninjs"), NINJS_KO, "subway.json")
    story, _ = ingest.make_draft(item)

    assert item.language == "ko"
    assert Story.objects.get(pk=story.pk).language == "ko"


def test_the_wire_view_shows_an_items_language(source, editor_client):
    item, _ = ingest.receive(source("ninjs"), NINJS_KO, "subway.json")

    page = editor_client.get(reverse("admin:wire_wireitem_change", args=[item.pk]))

    assert re.search(r"Language:</label>\s*<div class=\"readonly\">ko</div>", page.content.decode())


def test_a_later_version_without_a_language_keeps_the_drafts(source):
    agency = source("ninjs")
    first, _ = ingest.receive(agency, NINJS_KO, "subway.json")
    story, _ = ingest.make_draft(first)
    data = json.loads(NINJS_KO)
    del data["language"]
    data |= {"version": "2", "body_html": "<p>시범 운영은 6개월이다.</p>"}
    second, _ = ingest.receive(agency, json.dumps(data).encode(), "v2.json")

    ingest.process_item(second.pk)

    story.refresh_from_db()
    assert story.body == "<p>시범 운영은 6개월이다.</p>"  # the update was written
    assert story.language == "ko"


def test_a_british_newsml_item_makes_a_british_english_draft(source):
    item, _ = ingest.receive(source("newsml"), G2_EN_GB, "rail.xml")
    story, _ = ingest.make_draft(item)

    assert Story.objects.get(pk=story.pk).language == "en-GB"


def test_the_g2_bodys_own_xml_lang_wins_over_the_items():
    data = G2_EN_GB.replace(
        b'<inlineXML contenttype="application/xhtml+xml">',
        b'<inlineXML contenttype="application/xhtml+xml" xml:lang="fr">',
    )
    assert parse("newsml", data).language == "fr"
    data = G2_EN_GB.replace(b"<contentMeta>", b'<contentMeta><language tag="de"/>')
    assert parse("newsml", data).language == "de"


def test_an_item_with_a_language_that_is_no_tag_is_kept_with_the_sites(source):
    data = NINJS_KO.replace(b'"language": "ko"', b'"language": "Korean"')
    item, _ = ingest.receive(source("ninjs"), data, "subway.json")
    story, _ = ingest.make_draft(item)

    assert item.status != item.Status.REJECTED
    assert item.language == ""
    assert Story.objects.get(pk=story.pk).language == "en"


# Editors ------------------------------------------------------------------------------


def test_an_editor_sets_the_language_in_the_admin(make_story, editor_client):
    story = make_story("Rail strike called off")
    page = editor_client.get(change_url(story))
    assert re.search(r'<select name="language"[^>]*>', page.content.decode())
    assert '<option value="ko">Korean (ko)</option>' in page.content.decode()

    data = form_fields(page)
    data["language"] = "en-GB"
    response = editor_client.post(change_url(story), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    story.refresh_from_db()
    assert story.language == "en-GB"
    assert html_lang(Client().get(story.get_absolute_url())) == "en-GB"


def test_the_admin_refuses_what_is_not_a_language(make_story, editor_client):
    story = make_story("Rail strike called off")
    data = form_fields(editor_client.get(change_url(story)))
    data["language"] = "Klingonish"

    response = editor_client.post(change_url(story), data)

    assert response.status_code == 200
    assert "is not a language tag" in response.content.decode()
    story.refresh_from_db()
    assert story.language == "en"


def test_a_wire_tag_that_is_not_on_the_menu_stays_on_it(make_story, editor_client):
    story = make_story("Montréal", language="fr-CA")

    page = editor_client.get(change_url(story)).content.decode()

    assert re.search(r'<option value="fr-CA" selected>', page)


# The importer and the demo --------------------------------------------------------------


def test_the_importer_takes_a_language(tmp_path):
    path = tmp_path / "subway.txt"
    path.write_text(f"{KOREAN}\n서울시는 심야 운행을 연장한다고 밝혔다.\n", encoding="utf-8")

    [(story, _)] = import_stories([path], language="ko")
    assert story.language == "ko"
    with pytest.raises(StoryImportError):
        import_stories([path], language="Korean")

    call_command("import_stories", str(path), "--language", "en-GB", stdout=io.StringIO())
    story.refresh_from_db()
    assert story.language == "en-GB"


def korean_demo_slugs():
    return [data["slug"] for data in demo.STORIES if data["headline"][0] >= "\uac00"]


def test_a_demo_loaded_before_languages_gets_them_on_the_next_load(quick_photos):  # noqa: F811
    call_command("load_demo", stdout=io.StringIO())
    Story.objects.update(language="en")  # as migration 0020 leaves an older database

    call_command("load_demo", stdout=io.StringIO())

    korean_stories = Story.objects.filter(slug__in=korean_demo_slugs())
    assert set(korean_stories.values_list("language", flat=True)) == {"ko"}


def test_load_demo_keeps_an_editors_choice(quick_photos):  # noqa: F811
    call_command("load_demo", stdout=io.StringIO())
    [slug, _] = korean_demo_slugs()
    Story.objects.filter(slug=slug).update(language="ko-KR")

    call_command("load_demo", stdout=io.StringIO())

    assert Story.objects.get(slug=slug).language == "ko-KR"


@pytest.mark.usefixtures("demo_loaded_once")
class TestTheDemo:
    """What one load of the demo makes, read by each test (loaded once for them all)."""

    def test_the_demos_korean_stories_say_korean(self):
        slugs = korean_demo_slugs()
        assert len(slugs) == 2
        languages = set(Story.objects.filter(slug__in=slugs).values_list("language", flat=True))
        assert languages == {"ko"}
        assert Story.objects.exclude(slug__in=slugs).filter(language="ko").count() == 0

    def test_the_demos_korean_story_page_says_ko(self, client):
        [slug, _] = korean_demo_slugs()

        response = client.get(reverse("articles:story_detail", kwargs={"slug": slug}))

        assert html_lang(response) == "ko"
