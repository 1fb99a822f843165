"""A story as an IPTC ninjs 2.2 item (news in JSON), for partners and other newsrooms.

Pure serialisation: `story_to_ninjs` reads only what `Story.objects.for_detail()` brings
in the story's own queries (bylines and tags as JSON, section and lead photo joined, the
body's library photos preloaded), so an item costs no query of its own.

What it says, and why:
- `uri`: the item's own address in the API, built from the story's id (stable when the
  slug changes; an agency's guid must not change between versions).
- `version`: `Story.version`, which every save of the story increases (articles/models.py),
  so a receiver sees each saved change as a newer version of the same uri.
- `firstcreated` / `versioncreated`: publication time and last change, in UTC.
- `headlines`, `descriptions` (the dek), `bodies` (the body as HTML, inline photos as
  plain figures and embeds as plain links, as feeds get it: articles/blocks.py; then
  the corrections and updates noted below it, if any, as a body of role "notes").
- `by` and `people` (rel "author"): the bylines in order.
- `subjects`: the story's tags, and its section (rel "section"), by their public pages.
- `associations`: the lead photo (a picture item) with every rendition readers get.
- `embargoed`, `language`, and `pubstatus`: "usable", or "canceled" for a story that was
  public and is withdrawn (a kill): then only what identifies the story is sent.

The output is checked against the IPTC's published schema by the wire desk's own
validator (articles/wire/formats/ninjs.py), in tests/test_api_ninjs.py.
"""

import re
from datetime import UTC
from html import escape, unescape

from django.conf import settings
from django.utils.encoding import iri_to_uri
from django.utils.html import strip_tags

from ..addresses import slug_path
from ..blocks import for_feeds
from ..images import MIME_TYPES, public_url_function
from ..inline_media import preloaded

NINJS_VERSION = "2.2"
SCHEMA_URL = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
# The item's address in the API: what articles/api/ninjs_router.py serves, under /api/v1/.
ITEM_PATH = "/api/v1/stories/{pk}.ninjs"
# A photo's identifier in the API's address space (nothing serves it yet; it only has
# to stay the same for the same library photo).
PHOTO_PATH = "/api/v1/photos/{pk}"
LEAD_PHOTO = "featureimage"  # the lead photo association's name (ninjs leaves names free)

USABLE, CANCELED = "usable", "canceled"

_WORD = re.compile(r"\w+")


def _base(base_url):
    return (base_url or settings.NEWSROOM["BASE_URL"]).rstrip("/")


def _absolute(base, url):
    """`url` (a path of ours or an absolute URL, maybe with non-ASCII) as an absolute URI."""
    url = iri_to_uri(url)
    return url if "://" in url else base + url


def _utc(value):
    """ISO 8601 in UTC, to the second, with "Z" (what every receiver parses)."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _byline(names):
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _renditions(photo, base):
    """Every file readers are sent of the photo: the lead sizes (each format), the card
    crops and the social-card JPEG, named after their frame, width and format."""
    url = public_url_function()
    made = photo.renditions or {}
    found = []
    for frame in ("lead", "card"):
        for size in made.get(frame) or []:
            for fmt, (name, width, height, length) in size.items():
                found.append(
                    {
                        "name": f"{frame}-{width}-{fmt}",
                        "href": _absolute(base, url(name)),
                        "contenttype": MIME_TYPES[fmt],
                        "width": width,
                        "height": height,
                        "sizeinbytes": length,
                    }
                )
    if made.get("social"):
        name, width, height, length = made["social"]
        found.append(
            {
                "name": "social",
                "href": _absolute(base, url(name)),
                "contenttype": MIME_TYPES["jpeg"],
                "width": width,
                "height": height,
                "sizeinbytes": length,
            }
        )
    return found


def _lead_photo(story, base):
    """The lead photo as a picture association, if readers may see it (its renditions
    made, its rights not expired: `Story.shown_photo`)."""
    photo = story.shown_photo
    if photo is None:
        return None
    association = {
        "name": LEAD_PHOTO,
        "uri": base + PHOTO_PATH.format(pk=photo.pk),
        "type": "picture",
        "representationtype": "full",
        "renditions": _renditions(photo, base),
    }
    if story.lead_caption:
        association["descriptions"] = [
            {"role": "caption", "contenttype": "text/plain", "value": story.lead_caption}
        ]
    if photo.alt:
        association["title"] = photo.alt
    if photo.credit:
        association["by"] = photo.credit
    if photo.rights_note:
        association["usageterms"] = photo.rights_note
    return association


def _body(story):
    """The body as feeds get it: sanitised HTML, blocks made plain (no script, no
    iframe), the body's photos from the story's own query."""
    with preloaded(story):
        html = str(for_feeds(story.body))
    text = unescape(strip_tags(html))
    body = {"role": "main", "contenttype": "text/html", "value": html}
    body["charcount"] = len(" ".join(text.split()))
    body["wordcount"] = len(_WORD.findall(text))
    return body


def _notes(story):
    """Corrections and updates, as the story page shows them below the body (a body of
    its own, role "notes": a receiver taking the main body is not handed them as text)."""
    notes = []
    for note in story.notes:
        paragraphs = "".join(
            f"<p>{escape(' '.join(part.split()), quote=False)}</p>"
            for part in re.split(r"\n[ \t\r\f\v]*\n", note.text)
            if part.strip()
        )
        when = _utc(note.noted_at)
        notes.append(
            f'<aside data-kind="{note.kind}"><p><strong>{escape(note.get_kind_display())}'
            f'</strong> <time datetime="{when}">{when}</time></p>{paragraphs}</aside>'
        )
    if not notes:
        return None
    return {"role": "notes", "contenttype": "text/html", "value": "\n".join(notes)}


def story_to_ninjs(story, *, base_url=None, canceled=False):
    """`story` (from `Story.objects.for_detail()`) as a ninjs 2.2 item (a dict).

    `canceled=True`: the kill notice of a story that was public and is withdrawn. Make it
    after the withdrawal was saved, so its `version` is newer than any usable one sent.
    """
    base = _base(base_url)
    published = story.published_at or story.created_at
    item = {
        "uri": base + ITEM_PATH.format(pk=story.pk),
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": SCHEMA_URL},
        "type": "text",
        "representationtype": "full",
        "profile": "story",
        "version": str(story.version),
        "firstcreated": _utc(published),
        # Never before the first version (a scheduled story is saved before it goes out).
        "versioncreated": _utc(max(story.updated_at, published)),
        "pubstatus": CANCELED if canceled else USABLE,
        "language": story.language,
        "headlines": [{"role": "main", "contenttype": "text/plain", "value": story.headline}],
        "slugline": story.slug,
        # The story's page for readers (the uri identifies the item, it is not a link).
        "altids": [{"role": "webpage", "value": _absolute(base, story.get_absolute_url())}],
    }
    if story.embargo_until is not None:
        item["embargoed"] = _utc(story.embargo_until)
    names = [byline.author.name for byline in story.bylines]
    if names:
        item["by"] = _byline(names)
        item["people"] = [
            {
                "name": byline.author.name,
                "rel": "author",
                "uri": _absolute(base, byline.author.get_absolute_url()),
                "literal": byline.author.slug,
            }
            for byline in story.bylines
        ]
    subjects = [
        {
            "name": tag.name,
            "rel": "tag",
            "uri": _absolute(base, slug_path("articles:tag_detail", tag.slug)),
            "literal": tag.slug,
        }
        for tag in story.tag_list
    ]
    section = story.section
    subjects.append(
        {
            "name": section.name,
            "rel": "section",
            "uri": _absolute(base, section.get_absolute_url()),
            "literal": section.slug,
        }
    )
    item["subjects"] = subjects
    item["copyrightholder"] = settings.NEWSROOM["PUBLISHER_NAME"]
    if canceled:
        # A kill withdraws the text: the receiver learns which story, not its words.
        return item
    if story.dek:
        item["descriptions"] = [
            {"role": "summary", "contenttype": "text/plain", "value": story.dek}
        ]
    item["bodies"] = [_body(story)]
    notes = _notes(story)
    if notes is not None:
        item["bodies"].append(notes)
    photo = _lead_photo(story, base)
    if photo is not None:
        item["associations"] = [photo]
    return item
