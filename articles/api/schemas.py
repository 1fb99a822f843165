"""What /api/v1/ answers with: the response models (they are its OpenAPI schema).

The views build plain dicts from rows they fetched in a fixed number of queries; these
models only validate and document them (nothing here reads the database). Every `url`
is the reader's page on the site (absolute, from NEWSROOM_BASE_URL); every `api_url`
the same object in this API.
"""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field


class Error(Schema):
    """A refusal: what was wrong, for the developer reading it."""

    detail: str | list


class Rendition(Schema):
    """One file of a photo: one size in one format."""

    format: str = Field(description="jpeg, webp or avif")
    mime_type: str
    width: int
    height: int
    url: str


class Renditions(Schema):
    """The sizes made of a photo: `lead` at its own aspect ratio, `card` cropped to
    the cards' frame around its focal point; smallest first."""

    lead: list[Rendition]
    card: list[Rendition]


class Photo(Schema):
    id: int
    api_url: str
    caption: str = Field(description="The library's caption (a story may have its own).")
    credit: str
    alt: str
    width: int | None = Field(description="The original's size, in pixels.")
    height: int | None
    renditions: Renditions


class PlacedPhoto(Schema):
    """A photo where a story shows it, with that story's caption."""

    caption: str
    photo: Photo


class SectionRef(Schema):
    id: int
    name: str
    slug: str
    url: str
    api_url: str


class Section(SectionRef):
    description: str
    order: int


class AuthorRef(Schema):
    id: int
    name: str
    slug: str
    url: str
    api_url: str


class Author(AuthorRef):
    bio: str
    portrait: str | None = Field(description="The author's square portrait (a JPEG).")


class Tag(Schema):
    id: int
    name: str
    slug: str
    url: str
    api_url: str


class StoryCard(Schema):
    """A story as lists show it."""

    id: int
    slug: str
    url: str
    api_url: str
    headline: str
    dek: str
    language: str = Field(description="BCP 47 language tag of the story's text.")
    published_at: datetime
    updated_at: datetime
    embargo_until: datetime | None = Field(
        description="Not to be published before this time. Only a key with the embargo "
        "scope ever sees a story whose embargo has not lifted (docs/partners.md)."
    )
    section: SectionRef
    authors: list[AuthorRef]
    tags: list[Tag]
    lead_photo: PlacedPhoto | None


class StoryPage(Schema):
    """One page of a story list, newest first. `next` is the address of the following
    (older) page, null on the last."""

    items: list[StoryCard]
    next_cursor: str | None
    next: str | None


# The body as blocks, in order.


class HtmlBlock(Schema):
    """Sanitised HTML as stored: a paragraph, or the headings, lists and quotes
    between paragraphs (tags: p, br, strong, em, a, h2–h4, ul, ol, li, blockquote…)."""

    type: Literal["html"]
    html: str


class PhotoBlock(Schema):
    type: Literal["photo"]
    caption: str
    photo: Photo


class GalleryItem(Schema):
    caption: str
    photo: Photo


class GalleryBlock(Schema):
    type: Literal["gallery"]
    id: int
    title: str
    items: list[GalleryItem]


class EmbedBlock(Schema):
    """Third-party content, as data: the page loads `iframe_url` only when a reader asks."""

    type: Literal["embed"]
    provider: str = Field(description="youtube, vimeo, x, instagram, …")
    provider_name: str
    url: str = Field(description="The original address.")
    iframe_url: str
    shape: str = Field(description="video, portrait, post, audio, audio-tall, chart or map")
    title: str


Block = Annotated[HtmlBlock | PhotoBlock | GalleryBlock | EmbedBlock, Field(discriminator="type")]


class Correction(Schema):
    kind: str = Field(description="correction or update")
    text: str
    noted_at: datetime


class Story(StoryCard):
    """A story with its body: `body_html` as feeds carry it (sanitised; photos as plain
    figures, embeds as links, no script), and `blocks`, the same body as data."""

    body_html: str
    blocks: list[Block]
    corrections: list[Correction]
    live: Literal["live", "ended"] | None = Field(
        description="Live coverage: its updates are at `live_updates_url`."
    )
    live_updates_url: str | None


class LiveUpdate(Schema):
    id: int
    url: str
    posted_at: datetime
    updated_at: datetime
    headline: str
    body_html: str
    key_event: bool
    authors: list[AuthorRef]
    photo: Photo | None
    photo_alt: str


class LiveUpdatePage(Schema):
    """A page of a live story's updates, newest first."""

    live: bool = Field(description="Still live (false once the coverage has ended).")
    items: list[LiveUpdate]
    next_cursor: str | None
    next: str | None


class TagPage(Schema):
    items: list[Tag]
    next_cursor: str | None
    next: str | None


class Zone(Schema):
    kind: str = Field(description="lead, top or rail (a section's stories)")
    title: str
    section: SectionRef | None
    stories: list[StoryCard]


class Front(Schema):
    """A front as readers see it: the zones editors arranged, in order, then the
    latest of the rest (the page's list below them, its first page)."""

    section: SectionRef | None = Field(description="null for the home page.")
    zones: list[Zone]
    latest: list[StoryCard]
