"""Editorial workflow rules: is a story ready to publish, and who changed it last.

Readiness is a pure function of `StoryFacts` (no database), so the admin can check the
saved story (the checklist on the change form, the bulk publish action) and a form
that has not been saved yet (publishing from the form) with the same rules.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.html import strip_tags

from .models import RelatedHeadline, Story

# A change by someone else this recent is worth a warning when the form opens.
RECENT_EDIT_MINUTES = 15
# How often the change form asks whether the story changed (static/admin-extra/…js).
EDIT_POLL_SECONDS = 20


# ------------------------------------------------------------------ readiness


@dataclass(frozen=True)
class StoryFacts:
    """What readiness looks at, from a saved story or a submitted form."""

    headline: str
    dek: str
    body: str
    has_photo: bool
    photo_alt: str
    tag_count: int
    byline_count: int
    # Related-headline items that would show nothing: a linked story that is not
    # public and no text of their own.
    unresolved_related: int = 0


@dataclass(frozen=True)
class Check:
    """One checklist item. `soft` items are advice: they never block publishing."""

    key: str
    ok: bool
    text: str
    soft: bool = False

    @property
    def state(self):
        """The item's state in words, so it never depends on colour or an icon."""
        if self.ok:
            return "Done"
        return "Suggested" if self.soft else "To do"


def headline_max_chars():
    return settings.NEWSROOM.get("HEADLINE_MAX_CHARS", 110)


def readiness_blocks_publishing():
    return settings.NEWSROOM.get("READINESS_BLOCKS_PUBLISHING", False)


def has_text(body_html):
    return bool(strip_tags(body_html or "").replace("&nbsp;", " ").replace("\xa0", " ").strip())


def check_readiness(facts: StoryFacts) -> list[Check]:
    """The publication checklist for a story. Pure: no database."""
    limit = headline_max_chars()
    length = len(facts.headline.strip())
    checks = [
        Check(
            "headline",
            0 < length <= limit,
            f"Headline is {length} characters (at most {limit})."
            if length <= limit
            else f"Headline is {length} characters; shorten it to {limit} or fewer.",
        ),
        Check(
            "dek",
            bool(facts.dek.strip()),
            "Dek written." if facts.dek.strip() else "Write a dek (one sentence summing it up).",
        ),
        Check(
            "body",
            has_text(facts.body),
            "Body has text." if has_text(facts.body) else "The body is empty.",
        ),
        Check(
            "tags",
            facts.tag_count > 0,
            f"{facts.tag_count} tag(s)." if facts.tag_count else "Add at least one tag.",
        ),
        Check(
            "authors",
            facts.byline_count > 0,
            f"{facts.byline_count} byline(s)."
            if facts.byline_count
            else "Add at least one author (byline).",
        ),
        Check(
            "photo",
            facts.has_photo,
            "Has a lead photo." if facts.has_photo else "No lead photo (optional).",
            soft=True,
        ),
    ]
    if facts.has_photo:
        checks.append(
            Check(
                "photo_alt",
                bool(facts.photo_alt.strip()),
                "Lead photo has alt text."
                if facts.photo_alt.strip()
                else "Describe the lead photo in its alt text.",
            )
        )
    checks.append(
        Check(
            "related",
            facts.unresolved_related == 0,
            "Related headlines all resolve."
            if facts.unresolved_related == 0
            else f"{facts.unresolved_related} related headline(s) link a story that is not "
            "public and have no text of their own; add text or link a public story.",
        )
    )
    return checks


def problems(checks: list[Check]) -> list[Check]:
    """The items that keep a story from being ready (advice excluded)."""
    return [check for check in checks if not check.ok and not check.soft]


def describe_problems(checks: list[Check]) -> str:
    return " ".join(check.text for check in problems(checks))


def photo_facts(story) -> tuple[bool, str]:
    """Whether `story` has a lead photo, and its alt text. The one place that knows the fields."""
    return story.lead_photo_id is not None, story.photo_alt


def facts_for_stories(stories) -> dict[int, StoryFacts]:
    """StoryFacts for saved stories, keyed by pk: three queries for any number of stories."""
    pks = [story.pk for story in stories]
    counts = {
        row["pk"]: row
        for row in Story.objects.filter(pk__in=pks)
        .annotate(
            tag_count=Count("tagged_items", distinct=True),
            byline_count=Count("story_authors", distinct=True),
        )
        .values("pk", "tag_count", "byline_count")
    }
    items = RelatedHeadline.objects.filter(story_id__in=pks)
    # `visible()` is the one rule for what a reader sees of a related headline.
    visible = set(items.visible().values_list("pk", flat=True))
    unresolved = {}
    for pk, story_id in items.values_list("pk", "story_id"):
        if pk not in visible:
            unresolved[story_id] = unresolved.get(story_id, 0) + 1
    facts = {}
    for story in stories:
        has_photo, alt = photo_facts(story)
        row = counts.get(story.pk, {})
        facts[story.pk] = StoryFacts(
            headline=story.headline,
            dek=story.dek,
            body=story.body,
            has_photo=has_photo,
            photo_alt=alt,
            tag_count=row.get("tag_count", 0),
            byline_count=row.get("byline_count", 0),
            unresolved_related=unresolved.get(story.pk, 0),
        )
    return facts


def readiness(story) -> list[Check]:
    """The checklist for one saved story."""
    return check_readiness(facts_for_stories([story])[story.pk])


# ------------------------------------------------------------------ who changed it


def editor_name(user) -> str:
    if user is None:
        return "Someone outside the admin (an import or a script)"
    return user.get_full_name() or user.get_username()


def local_time(value) -> str:
    """'14:32 KST, 28 Nov 2026': a time an editor reads at a glance, in the newsroom's zone."""
    local = timezone.localtime(value, timezone.get_default_timezone())
    return f"{local:%H:%M %Z, %d %b %Y}"


def last_change(story) -> str:
    """Who saved `story` last and when, as a phrase."""
    return f"{editor_name(story.last_edited_by)} saved this story at {local_time(story.updated_at)}"


def conflict_message(story) -> str:
    """Why a save was refused: the story changed after the form was opened."""
    return (
        f"{last_change(story)}, after you opened it. Your changes have not been saved, "
        "so nothing of theirs was overwritten. Copy what you wrote, reload the page to "
        "see the current version, and make your changes again."
    )


def recent_edit_by_someone_else(story, user, *, now=None):
    """A warning when someone other than `user` saved `story` in the last few minutes."""
    now = now or timezone.now()
    if story.last_edited_by_id is None or story.last_edited_by_id == user.pk:
        return None
    if now - story.updated_at > timedelta(minutes=RECENT_EDIT_MINUTES):
        return None
    return (
        f"{last_change(story)}; they may still be editing it. If you both save, "
        "the second save will be refused."
    )
