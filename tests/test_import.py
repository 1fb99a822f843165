"""The story importer: parsing text files, and `manage.py import_stories`."""

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from articles.importing import (
    HEADLINE_MAX_LENGTH,
    ImportFailed,
    ImportFormatError,
    first_sentence,
    import_stories,
    make_dek,
    parse_story,
)
from articles.models import RelatedHeadline, Section, Story

SEED = Path(__file__).resolve().parent.parent / "articles/demo/000_73df78da11878c21.txt"
SEED_HEADLINE = (
    "Hegseth reaffirms strong alliance with S. Korea during 1st phone talks "
    "with Seoul’s defense chief"
)


def run(*args):
    """Run import_stories and return what it printed."""
    out = io.StringIO()
    call_command("import_stories", *map(str, args), stdout=out)
    return out.getvalue()


def write(directory, name, text):
    path = directory / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def story_text(headline="A headline", paragraphs=("First paragraph.",), related=()):
    return "\n".join([*(f"- {item}" for item in related), headline, *paragraphs]) + "\n"


# ---------------------------------------------------------------- parsing (no database)


def test_seed_file_parses_into_related_headlines_headline_and_paragraphs():
    story = parse_story(SEED.read_bytes(), SEED.name)

    assert len(story.related_headlines) == 10
    assert story.headline == SEED_HEADLINE
    assert len(story.paragraphs) == 9


def test_seed_file_keeps_curly_quotes():
    story = parse_story(SEED.read_bytes(), SEED.name)

    assert "S. Korea won’t be top seed in final World Cup qualification round" in (
        story.related_headlines
    )
    assert "Who knew? ‘The Walking Dead’ is helping families connect" in (story.related_headlines)
    assert "a “linchpin” for peace" in story.paragraphs[1]


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda data: data.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda data: data.replace(b"\n", b"\r"), id="cr-only"),
        pytest.param(lambda data: b"\xef\xbb\xbf" + data, id="bom"),
        pytest.param(lambda data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), id="bom-crlf"),
    ],
)
def test_line_endings_and_bom_do_not_change_the_result(transform):
    data = SEED.read_bytes()

    assert parse_story(transform(data), "x.txt") == parse_story(data, "x.txt")


def test_korean_text_is_read_as_written():
    text = (
        "- 관련 기사 제목\n서울 지하철, 심야 운행 연장\n서울시는 막차 시간을 연장한다고 밝혔다.\n"
    )

    story = parse_story(text.encode("utf-8"), "ko.txt")

    assert story.related_headlines == ["관련 기사 제목"]
    assert story.headline == "서울 지하철, 심야 운행 연장"
    assert story.paragraphs == ["서울시는 막차 시간을 연장한다고 밝혔다."]


def test_blank_lines_and_surrounding_whitespace_are_dropped():
    text = "\n  - Related one  \n\n  Headline \t\n\n  First.  \n\n\nSecond.\n\n"

    story = parse_story(text.encode(), "x.txt")

    assert story.related_headlines == ["Related one"]
    assert story.headline == "Headline"
    assert story.paragraphs == ["First.", "Second."]


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        pytest.param(b"", 1, "empty", id="empty"),
        pytest.param(b" \r\n\n", 1, "empty", id="only-blank-lines"),
        pytest.param(b"Headline\nGood line\nBad \xff byte\n", 3, "not valid UTF-8", id="utf8"),
        pytest.param(b"Headline\r\nBad \xc3(\r\n", 2, "not valid UTF-8", id="utf8-crlf"),
        pytest.param(b"- One\n- Two\n", 3, "no headline", id="no-headline"),
        pytest.param(b"Headline\n\nText\x00more\n", 3, "NUL", id="nul"),
        pytest.param(b"\xff\xfeH\x00i\x00", 1, "UTF-16", id="utf16"),
        pytest.param(b"Headline\nRing \x07 bell\n", 2, "control character", id="control"),
        pytest.param(b"-\nHeadline\n", 1, "related headline line is empty", id="empty-related"),
    ],
)
def test_invalid_files_name_the_file_and_line(data, line, message):
    with pytest.raises(ImportFormatError) as caught:
        parse_story(data, "wire/story.txt")

    assert caught.value.line == line
    assert str(caught.value).startswith(f"wire/story.txt, line {line}: ")
    assert message in str(caught.value)


def test_headline_longer_than_the_model_allows_is_rejected():
    data = ("- Fine\n" + "x" * (HEADLINE_MAX_LENGTH + 1) + "\nBody.\n").encode()

    with pytest.raises(ImportFormatError, match=r"line 2: headline is 256 characters"):
        parse_story(data, "long.txt")


def test_related_headline_longer_than_the_model_allows_is_rejected():
    data = ("- " + "x" * (HEADLINE_MAX_LENGTH + 1) + "\nHeadline\n").encode()

    with pytest.raises(ImportFormatError, match=r"line 1: related headline is 256"):
        parse_story(data, "long.txt")


def test_enormous_line_is_rejected_not_stored():
    data = b"Headline\n" + b"word " * 10_000 + b"\n"

    with pytest.raises(ImportFormatError, match=r"line 2: paragraph is \d+ characters"):
        parse_story(data, "huge.txt")


def test_dek_is_the_first_sentence_and_skips_abbreviations():
    story = parse_story(SEED.read_bytes(), SEED.name)

    # "U.S." inside the sentence is not where it ends.
    assert make_dek(["Gen. Kim met U.S. envoys in S. Korea. He left."]) == (
        "Gen. Kim met U.S. envoys in S. Korea."
    )
    # The seed's first paragraph is one sentence: as a dek it would be shown twice.
    assert first_sentence(story.paragraphs[0]) == story.paragraphs[0]
    assert make_dek(story.paragraphs) == ""


def test_no_dek_when_the_first_paragraph_is_one_sentence():
    assert make_dek(["Ferries returned on Monday.", "Commuters cheered."]) == ""
    assert make_dek(["  Ferries returned   on Monday. "]) == ""
    assert make_dek(["Ferries returned on Monday. Commuters cheered."]) == (
        "Ferries returned on Monday."
    )


def test_dek_of_a_very_long_sentence_is_cut_at_a_word():
    dek = make_dek(["word " * 100 + "end. A second sentence."])

    assert len(dek) <= 300
    assert dek.endswith("word…")


# ------------------------------------------------------------------- importing


@pytest.mark.django_db
def test_command_imports_the_seed_file():
    output = run(SEED)

    story = Story.objects.get(import_key="000_73df78da11878c21")
    assert story.headline == SEED_HEADLINE
    assert story.body.count("<p>") == 9
    assert "“linchpin”" in story.body
    assert story.related_headlines.count() == 10
    assert "1 created, 0 updated" in output


@pytest.mark.django_db
def test_imported_story_defaults_to_a_draft_in_news(tmp_path):
    run(write(tmp_path, "a.txt", story_text()))

    story = Story.objects.get(import_key="a")
    assert story.status == Story.Status.DRAFT
    assert story.section.name == "News"
    assert story.dek == ""  # the first paragraph is one sentence: no dek to repeat it
    assert story.slug == "a-headline"


@pytest.mark.django_db
def test_reimport_updates_the_story_instead_of_duplicating_it(tmp_path):
    path = write(tmp_path, "story-1.txt", story_text("Old headline", related=["Old item"]))
    run(path)
    first = Story.objects.get()

    write(tmp_path, "story-1.txt", story_text("New headline", ["New text."], related=["New item"]))
    output = run(path)

    story = Story.objects.get()
    assert story.pk == first.pk
    assert story.headline == "New headline"
    assert story.body == "<p>New text.</p>"
    assert story.slug == first.slug  # The address stays.
    assert list(story.related_headlines.values_list("headline", flat=True)) == ["New item"]
    assert "0 created, 1 updated" in output


@pytest.mark.django_db
def test_reimport_without_options_keeps_editors_choices(tmp_path, section):
    path = write(tmp_path, "s.txt", story_text())
    run(path, "--section", "nation", "--status", "published", "--tags", "Seoul")

    run(path)

    story = Story.objects.get()
    assert story.section == section
    assert story.status == Story.Status.PUBLISHED
    assert list(story.tags.names()) == ["Seoul"]


@pytest.mark.django_db
def test_related_headline_naming_an_existing_story_links_it(tmp_path, make_story):
    target = make_story("S. Korea won't be top seed in  final World Cup qualification round")
    # Different case, spacing and apostrophe: still the same headline.
    related = "S. korea won’t be top seed in final World Cup qualification round"
    write(tmp_path, "s.txt", story_text(related=[related]))

    run(tmp_path / "s.txt")

    item = RelatedHeadline.objects.get(story__import_key="s")
    assert item.target == target
    assert item.headline.startswith("S. korea won’t")  # The text is kept too.


@pytest.mark.django_db
def test_related_headline_with_no_matching_story_stays_text(tmp_path, make_story):
    make_story("Something else entirely")
    write(tmp_path, "s.txt", story_text(related=["Nobody wrote this"]))

    run(tmp_path / "s.txt")

    item = RelatedHeadline.objects.get()
    assert item.target is None
    assert item.headline == "Nobody wrote this"


@pytest.mark.django_db
def test_files_of_one_import_can_link_each_other(tmp_path):
    write(tmp_path, "a.txt", story_text("Story A", related=["Story B"]))
    write(tmp_path, "b.txt", story_text("Story B", related=["Story A"]))

    run(tmp_path)

    a, b = Story.objects.get(import_key="a"), Story.objects.get(import_key="b")
    assert a.related_headlines.get().target == b
    assert b.related_headlines.get().target == a


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "bad.txt, line 1: the file is empty", id="empty"),
        pytest.param(b"Headline\n\xff\n", "bad.txt, line 2: not valid UTF-8", id="utf8"),
        pytest.param(b"- a\n- b\n\n", "bad.txt, line 3: no headline", id="no-headline"),
    ],
)
def test_invalid_file_stops_the_whole_import(tmp_path, make_story, data, expected):
    make_story()
    good = write(tmp_path, "good.txt", story_text())
    bad = write(tmp_path, "bad.txt", data)
    before = Story.objects.count()

    with pytest.raises(CommandError) as caught:
        run(good, bad)

    assert str(bad.parent / expected) in str(caught.value)
    assert "Nothing was imported" in str(caught.value)
    assert Story.objects.count() == before


@pytest.mark.django_db
def test_every_invalid_file_is_listed(tmp_path):
    write(tmp_path, "a-empty.txt", b"")
    write(tmp_path, "b-good.txt", story_text())
    write(tmp_path, "c-binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00")

    with pytest.raises(ImportFailed) as caught:
        import_stories(sorted(tmp_path.iterdir()))

    assert [(Path(e.name).name, e.line) for e in caught.value.errors] == [
        ("a-empty.txt", 1),
        ("c-binary.txt", 1),  # A PNG's first byte is already not UTF-8.
    ]
    assert not Story.objects.exists()


@pytest.mark.django_db
def test_two_files_with_the_same_name_are_refused(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    write(tmp_path / "one", "same.txt", story_text("First"))
    write(tmp_path / "two", "same.txt", story_text("Second"))

    with pytest.raises(CommandError, match="same name"):
        run(tmp_path)

    assert not Story.objects.exists()


@pytest.mark.django_db
def test_a_directory_given_as_a_file_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "folder.txt").mkdir()

    with pytest.raises(ImportFailed, match=r"folder\.txt: is a directory"):
        import_stories([tmp_path / "folder.txt"])


@pytest.mark.django_db
def test_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.txt: no such file"):
        run(tmp_path / "nope.txt")


@pytest.mark.django_db
def test_section_option_takes_a_slug_or_name(tmp_path, make_section):
    business = make_section("Business", slug="business")
    write(tmp_path, "a.txt", story_text("A"))
    write(tmp_path, "b.txt", story_text("B"))

    run(tmp_path / "a.txt", "--section", "business")
    run(tmp_path / "b.txt", "--section", "BUSINESS")

    assert set(Story.objects.values_list("section", flat=True)) == {business.pk}


@pytest.mark.django_db
def test_unknown_section_is_an_error_not_a_new_section(tmp_path, section):
    write(tmp_path, "a.txt", story_text())

    with pytest.raises(CommandError, match="No section 'Sprots'"):
        run(tmp_path / "a.txt", "--section", "Sprots")

    assert list(Section.objects.all()) == [section]
    assert not Story.objects.exists()


@pytest.mark.django_db
def test_tags_option_tags_every_story(tmp_path):
    write(tmp_path, "a.txt", story_text())

    run(tmp_path / "a.txt", "--tags", "South Korea, Defense,,한국어")

    assert sorted(Story.objects.get().tags.names()) == ["Defense", "South Korea", "한국어"]


@pytest.mark.django_db
def test_authors_option_creates_bylines_in_order(tmp_path, make_author):
    existing = make_author("Rachel Osei")
    write(tmp_path, "a.txt", story_text())

    run(tmp_path / "a.txt", "--authors", "김민지 (Kim Min-ji),Rachel Osei")

    bylines = list(Story.objects.get().story_authors.select_related("author"))
    assert [b.author.name for b in bylines] == ["김민지 (Kim Min-ji)", "Rachel Osei"]
    assert bylines[0].author.slug == "김민지-kim-min-ji"
    assert bylines[1].author == existing


@pytest.mark.django_db
def test_status_published_defaults_publication_time_to_now(tmp_path):
    write(tmp_path, "a.txt", story_text())
    before = timezone.now()

    run(tmp_path / "a.txt", "--status", "published")

    story = Story.objects.get()
    assert story.status == Story.Status.PUBLISHED
    assert before <= story.published_at <= timezone.now()
    assert Story.objects.published().filter(pk=story.pk).exists()


@pytest.mark.django_db
def test_published_at_option_sets_the_time(tmp_path):
    write(tmp_path, "a.txt", story_text())

    run(tmp_path / "a.txt", "--status", "published", "--published-at", "2025-02-01T09:30+00:00")

    assert Story.objects.get().published_at == datetime(2025, 2, 1, 9, 30, tzinfo=ZoneInfo("UTC"))


@pytest.mark.django_db
def test_naive_published_at_is_in_the_site_time_zone(tmp_path, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    write(tmp_path, "a.txt", story_text())

    run(tmp_path / "a.txt", "--status", "published", "--published-at", "2025-02-01 09:30")

    expected = datetime(2025, 2, 1, 9, 30, tzinfo=ZoneInfo("Asia/Seoul"))
    assert Story.objects.get().published_at == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--status", "live", "--status must be draft or published"),
        ("--published-at", "yesterday", "is not a date and time"),
        ("--published-at", "2025-13-01T09:00", "is not a date and time"),
    ],
)
def test_bad_options_are_rejected_before_anything_is_written(tmp_path, option, value, message):
    write(tmp_path, "a.txt", story_text())

    with pytest.raises(CommandError, match=message):
        run(tmp_path / "a.txt", option, value)

    assert not Story.objects.exists()


@pytest.mark.django_db
def test_directory_argument_imports_its_txt_files(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "b.txt", story_text("Second"))
    write(tmp_path, "a.txt", story_text("First"))
    write(tmp_path / "sub", "c.TXT", story_text("Nested"))
    write(tmp_path, "notes.md", "not a story")
    write(tmp_path, "._a.txt", b"\x00\x05\x16\x07 macOS metadata")

    output = run(tmp_path)

    assert sorted(Story.objects.values_list("import_key", flat=True)) == ["a", "b", "c"]
    assert "[1/3]" in output
    assert "[3/3]" in output
    assert output.index("a.txt") < output.index("b.txt")


@pytest.mark.django_db
def test_empty_directory_is_an_error(tmp_path):
    with pytest.raises(CommandError, match=r"No \.txt files"):
        run(tmp_path)


@pytest.mark.django_db
def test_html_in_the_text_file_is_escaped(tmp_path):
    write(tmp_path, "x.txt", story_text(paragraphs=["<script>alert(1)</script>", "<b>bold</b>"]))

    run(tmp_path / "x.txt")

    body = Story.objects.get().body
    assert "<script" not in body
    assert "<b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.django_db
def test_imported_wire_copy_shows_its_first_paragraph_once(tmp_path, client):
    text = story_text(
        "Ferries return",
        paragraphs=("Ferries returned to the Han River on Monday.", "Commuters cheered."),
    )
    run(write(tmp_path, "wire.txt", text), "--status", "published")

    story = Story.objects.get(import_key="wire")
    assert story.dek == ""
    html = client.get(story.get_absolute_url()).content.decode()
    article = html[html.index("<article") : html.index("</article>")]
    assert article.count("Ferries returned to the Han River on Monday.") == 1
