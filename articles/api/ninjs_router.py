"""GET /api/v1/stories/<id>.ninjs: one story as an IPTC ninjs 2.2 item (articles/api/ninjs.py).

Served as `application/json`: the IPTC registers no media type of its own for ninjs (an
item names its standard in its `standard` property, with the schema's address, and a
`Link: <schema>; rel="describedby"` header says the same), and the wire desks that take
ninjs, ours included (articles/wire/views.py), read it as JSON whatever the type.
"""

from django.http import JsonResponse
from ninja import Router, Schema

from ..cache import depends_on, names
from . import ninjs
from .access import visible_stories

router = Router(tags=["ninjs"])

CONTENT_TYPE = "application/json; charset=utf-8"
# Ids are positive and fit a bigint: anything else is no story, answered without a query.
MAX_ID_DIGITS = 18


class NotFound(Schema):
    detail: str


def _not_found():
    return JsonResponse({"detail": "No story with this id."}, status=404)


@router.get(
    "/stories/{story_id}.ninjs",
    url_name="story_ninjs",
    summary="A story as an IPTC ninjs 2.2 item",
    description="Valid against the IPTC's ninjs 2.2 JSON Schema. `version` grows with every "
    "saved change of the story; `uri` stays the same.",
    # What the docs show: the item itself is returned as built (not validated again).
    response={200: dict, 404: NotFound},
)
def story_ninjs(request, story_id: str):
    # A string, checked here: a malformed id is a clear 404, never the router's HTML page
    # nor a database error for a number past the column's range.
    if not (story_id.isascii() and story_id.isdigit()) or len(story_id) > MAX_ID_DIGITS:
        return _not_found()
    story = visible_stories(request).for_detail().filter(pk=int(story_id)).first()
    if story is None:
        return _not_found()
    # What the item shows, for the page cache that keeps it (articles/cache/).
    depends_on(
        names.story(story.pk),
        names.section(story.section_id),
        *(names.author(byline.author_id) for byline in story.bylines),
        *(names.tag(tag.pk) for tag in story.tag_list),
        *([names.photo(story.lead_photo_id)] if story.lead_photo_id else []),
    )
    item = ninjs.story_to_ninjs(story)
    response = JsonResponse(
        item, content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    response["Link"] = f'<{ninjs.SCHEMA_URL}>; rel="describedby"'
    return response
