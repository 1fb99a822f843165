"""A story without curated related headlines lists the public stories sharing most of
its tags, newest first. The list is ranked when stories change and read with one
indexed query; whatever changes (publishing, unpublishing, retagging, bulk actions,
imports), the page shows what ranking on the spot would show."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.cache import tags as cache_tags
from articles.importing import import_stories
from articles.models import Story, StoryRelation


def related_on_page(client, story):
    html = client.get(story.get_absolute_url()).content.decode()
    aside = re.search(r'<aside class="related".*?</aside>', html, re.S)
    return re.findall(r'<a href="[^"]*">([^<]*)</a>', aside.group(0)) if aside else []


def hours_ago(n):
    return timezone.now() - timedelta(hours=n)


@pytest.fixture
def main_story(make_story):
    return make_story("Main", tags=["alpha", "beta", "gamma"], published_at=hours_ago(10))


def test_most_shared_tags_first_then_newest(client, make_story, main_story):
    make_story("One tag, newest", tags=["alpha"], published_at=hours_ago(1))
    make_story("Three tags, oldest", tags=["alpha", "beta", "gamma"], published_at=hours_ago(50))
    make_story("Two tags, older", tags=["alpha", "beta"], published_at=hours_ago(40))
    make_story("Two tags, newer", tags=["beta", "gamma"], published_at=hours_ago(30))
    make_story("No shared tag", tags=["delta"], published_at=hours_ago(2))
    make_story("Draft", tags=["alpha", "beta", "gamma"], status=Story.Status.DRAFT)
    assert related_on_page(client, main_story) == [
        "Three tags, oldest",
        "Two tags, newer",
        "Two tags, older",
        "One tag, newest",
    ]


def test_a_story_published_later_joins_older_stories_lists(client, make_story, main_story):
    later = make_story("Later", tags=["alpha"], status=Story.Status.DRAFT)
    assert related_on_page(client, main_story) == []
    later.status = Story.Status.PUBLISHED
    later.save()
    assert related_on_page(client, main_story) == ["Later"]


def test_unpublished_retagged_and_deleted_stories_leave_the_list(client, make_story, main_story):
    gone = make_story("Unpublished", tags=["alpha"])
    retagged = make_story("Retagged", tags=["beta"])
    deleted = make_story("Deleted", tags=["gamma"])
    assert set(related_on_page(client, main_story)) == {"Unpublished", "Retagged", "Deleted"}
    gone.status = Story.Status.DRAFT
    gone.save()
    retagged.tags.set(["omega"])
    deleted.delete()
    assert related_on_page(client, main_story) == []


def test_a_story_retagged_takes_its_new_neighbours(client, make_story, main_story):
    make_story("Omega story", tags=["omega"])
    main_story.tags.add("omega")
    assert related_on_page(client, main_story) == ["Omega story"]


def test_scheduled_stories_wait_for_their_time(client, make_story, main_story):
    scheduled = make_story(
        "Scheduled", tags=["alpha"], published_at=timezone.now() + timedelta(hours=1)
    )
    assert related_on_page(client, main_story) == []
    # Its time comes: nothing is ranked again, the page's own filter lets it through,
    # and the first request after that moment purges the pages that rank it.
    Story.objects.filter(pk=scheduled.pk).update(published_at=hours_ago(1))
    cache_tags.publish_due(hours_ago(1).timestamp())
    assert related_on_page(client, main_story) == ["Scheduled"]


def test_bulk_publish_and_unpublish_keep_lists_current(
    admin_client, client, make_story, main_story
):
    other = make_story("Bulk", tags=["alpha"], status=Story.Status.DRAFT)
    changelist = reverse("admin:articles_story_changelist")
    admin_client.post(changelist, {"action": "publish", "_selected_action": [other.pk]})
    assert related_on_page(client, main_story) == ["Bulk"]
    admin_client.post(changelist, {"action": "unpublish", "_selected_action": [other.pk]})
    assert related_on_page(client, main_story) == []
    assert not StoryRelation.objects.filter(related=other).exists()


def test_imported_stories_are_ranked(client, tmp_path, make_story):
    older = make_story("Older harbour story", tags=["harbour"], published_at=hours_ago(5))
    for n in range(2):
        (tmp_path / f"story-{n}.txt").write_text(
            f"Imported harbour story {n}\n\nA paragraph about the harbour.\n", encoding="utf-8"
        )
    import_stories(sorted(tmp_path.glob("*.txt")), status=Story.Status.PUBLISHED, tags=["harbour"])
    assert len(related_on_page(client, older)) == 2
    imported = Story.objects.get(headline="Imported harbour story 0")
    assert related_on_page(client, imported) == ["Imported harbour story 1", "Older harbour story"]


def test_the_story_page_reads_the_list_without_ranking(client, make_story, main_story):
    for n in range(8):
        make_story(f"Neighbour {n}", tags=["alpha", "beta"])
    with CaptureQueriesContext(connection) as queries:
        related = related_on_page(client, main_story)
    assert len(related) == 5  # NEWSROOM_RELATED_HEADLINES_AUTO
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "GROUP BY" not in sql.split("ARTICLES_STORYRELATION", 1)[-1]
    assert "COUNT(DISTINCT" not in sql


def test_rebuild_command_ranks_every_story_again(client, make_story, main_story):
    make_story("Neighbour", tags=["alpha"])
    StoryRelation.objects.all().delete()
    assert related_on_page(client, main_story) == []
    call_command("rebuild_related_stories", verbosity=0)
    assert related_on_page(client, main_story) == ["Neighbour"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_saves_rewriting_one_list_at_once_both_succeed(make_story):
    """Stories sharing a tag, retagged in two transactions at once, both rewrite the
    list of a third: the second writer waits for the first, then writes over it."""
    import threading
    import time

    from django.db import connection as main_connection
    from django.db import connections, transaction

    neighbour = make_story("Neighbour", tags=["shared"])
    first = make_story("First", tags=["other"])
    second = make_story("Second", tags=["other-2"])
    wrote, failures = threading.Event(), []

    def retag(story, hold):
        try:
            with transaction.atomic():
                story.tags.add("shared")
                if hold:
                    wrote.set()
                    time.sleep(1)  # the other writer now waits on these rows
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    holder = threading.Thread(target=retag, args=(first, True))
    holder.start()
    wrote.wait(5)
    retag(second, False)
    holder.join()
    main_connection.close()
    assert failures == []
    assert set(
        StoryRelation.objects.filter(story=neighbour).values_list("related__headline", flat=True)
    ) <= {"First", "Second"}
    assert StoryRelation.objects.filter(story=neighbour, related=second).exists()
