"""Content model behaviour: slugs, sanitising on save, bylines, related headlines."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from articles.models import RelatedHeadline, Story, StoryAuthor


def test_slug_is_made_from_headline(make_story):
    story = make_story("Seoul hosts summit on AI safety")
    assert story.slug == "seoul-hosts-summit-on-ai-safety"


def test_korean_headline_keeps_readable_slug(make_story):
    story = make_story("서울 지하철 요금 인상")
    assert story.slug == "서울-지하철-요금-인상"


def test_duplicate_headlines_get_distinct_slugs(make_story):
    first = make_story("Same words")
    second = make_story("Same words")
    assert first.slug != second.slug


def test_body_is_sanitised_on_save(make_story):
    story = make_story(
        body='<p onclick="steal()">Hi <strong>there</strong><script>alert(1)</script>'
        '<a href="javascript:alert(1)">bad</a> <a href="https://example.com">ok</a></p>'
    )
    story.refresh_from_db()
    assert "<script" not in story.body
    assert "onclick" not in story.body
    assert "javascript:" not in story.body
    assert "<strong>there</strong>" in story.body
    assert 'href="https://example.com"' in story.body


def test_body_keeps_newsroom_formatting(make_story):
    html = (
        "<h2>Sub</h2><p><em>a</em> <b>b</b></p><ul><li>one</li></ul>"
        "<ol><li>two</li></ol><blockquote><p>quote</p></blockquote>"
    )
    story = make_story(body=html)
    for tag in ("<h2>", "<em>", "<b>", "<ul>", "<ol>", "<blockquote>"):
        assert tag in story.body


def test_author_cannot_be_credited_twice_on_a_story(make_story, make_author):
    author = make_author()
    story = make_story(authors=[author])
    with pytest.raises(IntegrityError), transaction.atomic():
        StoryAuthor.objects.create(story=story, author=author, order=1)


def test_related_headline_needs_a_target_or_text(make_story):
    story = make_story()
    item = RelatedHeadline(story=story)
    with pytest.raises(ValidationError):
        item.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


def test_related_headline_rejects_javascript_url(make_story):
    story = make_story()
    item = RelatedHeadline(story=story, headline="x", url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        item.full_clean()


def test_related_headline_follows_linked_story_headline(make_story):
    target = make_story("Original headline")
    story = make_story(related=[("Old text", "", target)])
    target.headline = "Updated headline"
    target.save()
    item = RelatedHeadline.objects.visible().get(story=story)
    assert item.display_headline == "Updated headline"
    assert item.display_url == target.get_absolute_url()


def test_every_public_model_has_an_absolute_url(make_story, make_author):
    author = make_author()
    story = make_story(authors=[author])
    assert story.get_absolute_url() == f"/stories/{story.slug}/"
    assert story.section.get_absolute_url() == f"/sections/{story.section.slug}/"
    assert author.get_absolute_url() == f"/authors/{author.slug}/"


def test_story_str_is_its_headline(make_story):
    assert str(make_story("A headline")) == "A headline"


def test_new_story_status_defaults_to_draft(section):
    story = Story.objects.create(headline="Fresh", section=section)
    assert story.status == Story.Status.DRAFT
    assert not Story.objects.published().exists()


def test_deleting_a_linked_story_keeps_related_items_with_text(make_story):
    target = make_story("Soon deleted")
    story = make_story(related=[("Own text", "", target), ("", "", target)])
    target.delete()
    remaining = list(story.related_headlines.all())
    assert [(item.headline, item.target) for item in remaining] == [("Own text", None)]


def test_related_headline_keeps_its_own_text_when_only_typography_differs(make_story):
    target = make_story("S. Korea won't be top seed")
    story = make_story(related=[("S. Korea won’t be  top seed", "", target)])
    item = RelatedHeadline.objects.visible().get(story=story)
    assert item.display_headline == "S. Korea won’t be  top seed"
    assert item.display_url == target.get_absolute_url()
    # A real rewrite of the linked story shows, as before.
    target.headline = "S. Korea misses out on top seeding"
    target.save()
    item = RelatedHeadline.objects.visible().get(story=story)
    assert item.display_headline == "S. Korea misses out on top seeding"


@pytest.mark.parametrize(
    ("dek", "body", "shown"),
    [
        # Imported before the importer stopped: the dek is the whole first paragraph.
        ("Ferries returned on Monday.", "<p>Ferries returned on Monday.</p><p>More.</p>", ""),
        ("Ferries returned on Monday.", "<p>Ferries  returned\non <b>Monday</b>.</p>", ""),
        ("Rock &amp; roll.", "<p>Rock &amp; roll.</p>", ""),
        # Its opening, cut short.
        ("Ferries returned to the…", "<p>Ferries returned to the river at dawn.</p>", ""),
        # A dek of its own, or the first of several sentences, stays.
        ("Boats are back.", "<p>Ferries returned on Monday.</p>", "Boats are back."),
        (
            "Ferries returned on Monday.",
            "<p>Ferries returned on Monday. Commuters cheered.</p>",
            "Ferries returned on Monday.",
        ),
        ("A dek.", "", "A dek."),
        ("", "<p>Anything.</p>", ""),
    ],
)
def test_dek_to_show_never_repeats_the_first_paragraph(dek, body, shown):
    assert Story(dek=dek, body=body).dek_to_show == shown


def test_story_page_keeps_the_stored_dek_but_shows_the_paragraph_once(make_story, client):
    story = make_story(
        dek="Ferries returned on Monday.",
        body="<p>Ferries returned on Monday.</p><p>Commuters cheered.</p>",
    )
    html = client.get(story.get_absolute_url()).content.decode()
    article = html[html.index("<article") : html.index("</article>")]
    assert article.count("Ferries returned on Monday.") == 1
    assert 'class="story__dek"' not in article
    story.refresh_from_db()
    assert story.dek == "Ferries returned on Monday."
