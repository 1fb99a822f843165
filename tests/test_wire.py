"""The wire desk: agency copy in three formats, received once, processed once."""

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, connections

from articles.models import Author, Story
from articles.wire import ingest
from articles.wire.formats import MAX_BYTES, WireFormatError, parse
from articles.wire.models import SubjectMapping, WireItem, WireSource

SAMPLES = Path(__file__).parent / "wire_samples"


def sample(name):
    return (SAMPLES / name).read_bytes()


def run_worker():
    # The worker closes "old" connections between tasks; inside a test's transaction on
    # PostgreSQL that is the test's own connection (SQLite's in-memory one never closes).
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("worker", batch=True, startup_delay=False, verbosity=0)


@pytest.fixture
def ninjs_source(db, section):
    return WireSource.objects.create(
        name="Agency ninjs", slug="agency", format="ninjs", default_section=section
    )


@pytest.fixture
def newsml_source(db, section):
    return WireSource.objects.create(
        name="Agency G2", slug="agency-g2", format="newsml", default_section=section
    )


# Formats -------------------------------------------------------------------------


def test_ninjs_1x_item_is_normalised_and_its_body_sanitised():
    copy = parse("ninjs", sample("ninjs1-budget.json"))

    assert copy.guid == "urn:newsml:agency.example:20310303:budget-001"
    assert (copy.version, copy.urgency, copy.pub_status) == (1, 4, "usable")
    assert copy.headline == "Parliament passes the 2031 budget after all-night session"
    assert copy.bylines == ["Kim Min-ji"]
    assert ("subj:11000000", "politics") in copy.subjects
    assert ("medtop:20000587", "economic policy") in copy.subjects
    assert copy.related_headlines == ["Opposition vows to fight spending cuts"]
    assert copy.section_hint == "Politics"
    assert "<script" not in copy.body_html and "onclick" not in copy.body_html
    assert "The vote was 180 to 95." in copy.body_html


def test_ninjs_2x_item_with_its_embargo():
    copy = parse("ninjs", sample("ninjs2-embargoed.json"))

    assert copy.headline == "Central bank cuts its base rate to 2.25 percent"  # role main
    assert copy.embargoed == datetime(2031, 3, 4, tzinfo=UTC)
    assert copy.urgency == 2
    assert copy.bylines == ["Lee Seo-yeon"]
    assert copy.subjects[0] == ("medtop:20000523", "interest rates")
    assert copy.body_html.startswith("<p>The Bank of Korea cut")


def test_corrected_version_and_kill_notice():
    assert parse("ninjs", sample("ninjs1-budget-v2.json")).version == 2
    kill = parse("ninjs", sample("ninjs2-kill.json"))
    assert kill.withdrawn and kill.version == 3
    newsml_kill = parse("newsml", sample("newsml-kill.xml"))
    assert newsml_kill.withdrawn and newsml_kill.pub_status == "canceled"


def test_newsml_with_xhtml_body():
    copy = parse("newsml", sample("newsml-xhtml.xml"))

    assert copy.guid == "urn:newsml:agency.example:20310303:quake-042"
    assert copy.headline == "Strong earthquake shakes the southeast coast"
    assert copy.urgency == 1 and copy.bylines == ["Park Ji-ho"]
    assert [code for code, _ in copy.subjects] == ["medtop:03000000", "medtop:20000151"]
    assert copy.section_hint == "World"
    assert copy.related_headlines == ["Aftershocks expected for days"]
    assert "<b>Tuesday</b>" in copy.body_html
    assert "javascript:" not in copy.body_html and "<title>" not in copy.body_html


def test_newsml_message_with_nitf_body_and_embargo():
    copy = parse("newsml", sample("newsml-nitf-v2.xml"))
    assert copy.version == 2 and copy.bylines == ["Park Ji-ho"]
    assert "<h2>Damage</h2>" in copy.body_html
    assert "Earthquake of magnitude 5.6" not in copy.body_html  # the NITF hedline is not body

    embargoed = parse("newsml", sample("newsml-embargoed.xml"))
    assert embargoed.embargoed == datetime(2031, 3, 4, tzinfo=UTC)  # 09:00 +09:00


def test_plain_text_seed_format_keeps_the_importers_line_numbers():
    copy = parse("text", sample("seed-story.txt"), "seed-story.txt")
    assert copy.guid == "seed-story"
    assert copy.headline == "Fishing fleet returns early as storm nears"
    assert copy.related_headlines == ["Ministers meet on Friday"]

    with pytest.raises(WireFormatError) as error:
        parse("text", sample("seed-bad.txt"), "seed-bad.txt")
    assert str(error.value).startswith("line 2: contains the control character U+0001")


@pytest.mark.parametrize(
    ("fmt", "name", "reason"),
    [
        ("ninjs", "ninjs-malformed.json", "line 4: not valid JSON"),
        ("newsml", "newsml-malformed.xml", "line 9: not well-formed XML"),
        ("newsml", "newsml-bomb.xml", "has a DTD"),
        ("newsml", "newsml-xxe.xml", "has a DTD"),
    ],
)
def test_malformed_and_hostile_files_are_refused_with_a_reason(fmt, name, reason):
    with pytest.raises(WireFormatError) as error:
        parse(fmt, sample(name), name)
    assert str(error.value).startswith(reason)


def test_entities_and_external_references_are_refused_even_without_a_dtd_check():
    from articles.wire.formats import newsml

    # The hardened parser's other guards, each with its own reason.
    with pytest.raises(WireFormatError, match="not well-formed"):
        newsml.parse(b"<newsItem guid='x'><headline>&undefined;</headline></newsItem>", "x")
    with pytest.raises(WireFormatError, match="DTD"):
        newsml.parse(b'<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><newsItem/>', "x")


def test_huge_files_are_refused_unread():
    huge = b'{"uri": "x", "headline": "' + b"a" * MAX_BYTES + b'"}'
    with pytest.raises(WireFormatError, match="the limit is"):
        parse("ninjs", huge)


# Receiving and processing --------------------------------------------------------


def test_the_same_guid_and_version_again_changes_nothing(ninjs_source):
    item, created = ingest.receive(ninjs_source, sample("ninjs1-budget.json"), "a.json")
    again, created_again = ingest.receive(ninjs_source, sample("ninjs1-budget.json"), "b.json")

    assert created and not created_again
    assert again.pk == item.pk
    assert WireItem.objects.count() == 1


def test_a_bad_item_is_kept_in_the_rejected_list_with_its_reason(ninjs_source):
    item, _ = ingest.receive(ninjs_source, sample("ninjs-malformed.json"), "broken.json")
    assert item.status == WireItem.Status.REJECTED
    assert item.reason.startswith("line 4: not valid JSON")
    assert "The transfer stopped" in item.raw
    assert not Story.objects.exists()


def test_make_draft_maps_section_tags_and_bylines(ninjs_source, make_section):
    economy = make_section("Economy")
    SubjectMapping.objects.create(code="medtop:20000523", tag="Interest rates", section=economy)
    SubjectMapping.objects.create(code="medtop:04000000", tag="Economy")
    item, _ = ingest.receive(ninjs_source, sample("ninjs2-embargoed.json"), "rates.json")

    story, created = ingest.make_draft(item)

    assert created and story.status == Story.Status.DRAFT
    assert story.section == economy
    assert sorted(story.tags.names()) == ["Economy", "Interest rates"]
    assert [a.name for a in story.authors.all()] == ["Lee Seo-yeon"]
    assert story.embargo_until == datetime(2031, 3, 4, tzinfo=UTC)
    # One click again opens the same draft; the agency's byline is one Author.
    assert ingest.make_draft(item) == (story, False)
    assert Author.objects.filter(name="Lee Seo-yeon").count() == 1


def test_newer_version_updates_the_untouched_draft(ninjs_source):
    first, _ = ingest.receive(ninjs_source, sample("ninjs1-budget.json"), "v1.json")
    run_worker()
    story, _ = ingest.make_draft(first)

    second, _ = ingest.receive(ninjs_source, sample("ninjs1-budget-v2.json"), "v2.json")
    run_worker()

    story.refresh_from_db()
    second.refresh_from_db()
    assert story.headline.endswith("(corrected)")
    assert "181 to 94" in story.body
    assert (second.status, second.story, second.attention) == ("processed", story, "")


def test_newer_version_flags_a_draft_an_editor_changed(ninjs_source):
    first, _ = ingest.receive(ninjs_source, sample("ninjs1-budget.json"), "v1.json")
    story, _ = ingest.make_draft(first)
    story.headline = "Our own headline"
    story.save()

    second, _ = ingest.receive(ninjs_source, sample("ninjs1-budget-v2.json"), "v2.json")
    run_worker()

    story.refresh_from_db()
    second.refresh_from_db()
    assert story.headline == "Our own headline"
    assert second.attention == WireItem.Attention.UPDATE and second.story == story


def test_kill_unpublishes_the_story_made_from_the_item(ninjs_source):
    first, _ = ingest.receive(ninjs_source, sample("ninjs1-budget.json"), "v1.json")
    story, _ = ingest.make_draft(first)
    story.status = Story.Status.PUBLISHED
    story.save()
    assert Story.objects.published().filter(pk=story.pk).exists()

    kill, _ = ingest.receive(ninjs_source, sample("ninjs2-kill.json"), "kill.json")
    run_worker()

    story.refresh_from_db()
    kill.refresh_from_db()
    assert story.status == Story.Status.DRAFT
    assert kill.attention == WireItem.Attention.KILLED and kill.story == story


def test_processing_an_item_twice_changes_nothing(ninjs_source):
    first, _ = ingest.receive(ninjs_source, sample("ninjs1-budget.json"), "v1.json")
    story, _ = ingest.make_draft(first)
    second, _ = ingest.receive(ninjs_source, sample("ninjs1-budget-v2.json"), "v2.json")
    ingest.process_item(second.pk)
    version = Story.objects.get(pk=story.pk).version

    assert ingest.process_item(second.pk) is None
    assert Story.objects.get(pk=story.pk).version == version


# The watched folder --------------------------------------------------------------


def drop(folder, *names):
    for name in names:
        target = folder / name
        target.write_bytes(sample(name))
        os.utime(target, (0, 0))  # settled long ago


def test_folder_ingested_twice_receives_each_item_once(newsml_source, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    newsml_source.folder = str(inbox)
    newsml_source.save()
    drop(inbox, "newsml-xhtml.xml", "newsml-nitf-v2.xml", "newsml-bomb.xml")

    call_command("wire_ingest", once=True, verbosity=0)
    drop(inbox, "newsml-xhtml.xml", "newsml-nitf-v2.xml")  # the agency sends them again
    call_command("wire_ingest", once=True, verbosity=0)

    assert WireItem.objects.filter(status="received").count() == 2
    rejected = WireItem.objects.get(status="rejected")
    assert rejected.file_name == "newsml-bomb.xml" and "DTD" in rejected.reason
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == ["newsml-bomb.xml"]
    assert len(list((inbox / "processed").iterdir())) == 4
    assert not [p for p in inbox.iterdir() if p.is_file()]
    run_worker()
    assert WireItem.objects.filter(status="processed").count() == 2


def test_a_file_still_being_written_waits(newsml_source, tmp_path):
    newsml_source.folder = str(tmp_path)
    newsml_source.save()
    (tmp_path / "newsml-xhtml.xml").write_bytes(sample("newsml-xhtml.xml"))  # mtime: now

    call_command("wire_ingest", once=True, verbosity=0)

    assert not WireItem.objects.exists()
    assert (tmp_path / "newsml-xhtml.xml").exists()


def test_a_huge_file_in_the_folder_is_rejected_without_reading_it(newsml_source, tmp_path):
    newsml_source.folder = str(tmp_path)
    newsml_source.save()
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    os.utime(huge, (0, 0))

    call_command("wire_ingest", once=True, verbosity=0)

    item = WireItem.objects.get()
    assert item.status == "rejected" and "the limit is" in item.reason
    assert (tmp_path / "rejected" / "huge.xml").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_process_one_item_twice(section):
    source = WireSource.objects.create(
        name="Agency", slug="agency", format="ninjs", default_section=section
    )
    first, _ = ingest.receive(source, sample("ninjs1-budget.json"), "v1.json")
    story, _ = ingest.make_draft(first)
    second, _ = ingest.receive(source, sample("ninjs1-budget-v2.json"), "v2.json")
    start = Story.objects.get(pk=story.pk).version
    barrier = threading.Barrier(2)
    results = []

    def work():
        try:
            barrier.wait()
            results.append(ingest.process_item(second.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result is not None for result in results) == 1
    assert Story.objects.get(pk=story.pk).version == start + 1
    assert connection.vendor == "postgresql"
