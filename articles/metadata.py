"""What a page tells search engines, social networks and feed readers about itself.

Views build a `PageMeta` (title, description, canonical URL, OpenGraph and Twitter
card data, alternate feeds, schema.org JSON-LD); `templates/includes/meta.html`
only prints it. Everything absolute starts from `settings.NEWSROOM["BASE_URL"]`, so
the URLs are the same whichever host name a request came in on.

Kept apart from views.py because feeds and sitemaps need the same URL and image rules.
"""

import mimetypes
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.http import QueryDict
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.formats import date_format

from .images import public_url_function

# Characters XML 1.0 cannot carry. The importer refuses them, but a headline typed or
# pasted in the admin may hold one, and a feed or sitemap must still be served.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text) -> str:
    """`text` without the control characters XML 1.0 forbids."""
    return _NOT_XML.sub("", str(text or ""))


def absolute_url(url: str) -> str:
    """`url` (a path like "/stories/x/", or already absolute) on the configured site."""
    if url.startswith("/") and not url.startswith("//") and url.isascii() and "/." not in url:
        # The common case, a quoted path of ours: what urljoin gives (the site's origin
        # and the path), at a tenth of the cost.
        base = urlsplit(settings.NEWSROOM["BASE_URL"])
        return f"{base.scheme}://{base.netloc}{url}"
    return urljoin(settings.NEWSROOM["BASE_URL"] + "/", iri_to_uri(url))


def iso_datetime(value) -> str:
    """An aware datetime as ISO 8601 in the newsroom's zone, to the second."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


@dataclass(frozen=True)
class ImageMeta:
    url: str
    width: int | None = None
    height: int | None = None
    alt: str = ""
    length: int | None = None  # bytes, where known without asking the storage

    @property
    def mime_type(self):
        return mimetypes.guess_type(self.url.split("?", 1)[0])[0] or ""


def publisher_logo() -> ImageMeta:
    """The newsroom's logo (a static file or an absolute URL), from settings."""
    newsroom = settings.NEWSROOM
    logo = newsroom["PUBLISHER_LOGO"]
    url = logo if "://" in logo else absolute_url(static(logo))
    return ImageMeta(
        url=url,
        width=newsroom["PUBLISHER_LOGO_WIDTH"],
        height=newsroom["PUBLISHER_LOGO_HEIGHT"],
        alt=newsroom["PUBLISHER_NAME"],
    )


def default_share_image() -> ImageMeta:
    """A story's image when it has no lead photo: NEWSROOM_DEFAULT_SHARE_IMAGE (a static
    path or an absolute URL), by default the site's own card."""
    newsroom = settings.NEWSROOM
    image = newsroom["DEFAULT_SHARE_IMAGE"]
    return ImageMeta(
        url=image if "://" in image else absolute_url(static(image)),
        width=newsroom["DEFAULT_SHARE_IMAGE_WIDTH"],
        height=newsroom["DEFAULT_SHARE_IMAGE_HEIGHT"],
        alt=newsroom["SITE_NAME"],
    )


def story_images(story) -> list[ImageMeta]:
    """The story's lead photo as absolute image data; [] without one.

    First the 1200×630 crop around the focal point that social networks want, then
    the largest JPEG at the photo's own aspect ratio (search engines like both).
    Read from the renditions' record: no storage or Pillow call.
    """
    made = story.photo_renditions
    if not made.get("social"):
        return []
    alt = story.photo_alt or story.headline
    images = []
    for name, width, height, length in (made["social"], made["lead"][-1]["jpeg"]):
        url = absolute_url(public_url_function()(name))
        images.append(ImageMeta(url=url, width=width, height=height, alt=alt, length=length))
    return images


# -------------------------------------------------------------------- page metadata


@dataclass(frozen=True)
class FeedLink:
    title: str
    url: str
    mime_type: str


def site_feeds() -> list[FeedLink]:
    """The whole site's feeds, linked from every page."""
    name = settings.NEWSROOM["SITE_NAME"]
    return [
        FeedLink(f"{name} (RSS)", reverse("articles:feed_rss"), "application/rss+xml"),
        FeedLink(f"{name} (Atom)", reverse("articles:feed_atom"), "application/atom+xml"),
        FeedLink(f"{name} (JSON Feed)", reverse("articles:feed_json"), "application/feed+json"),
    ]


def feeds_for(kind: str, slug: str, name: str) -> list[FeedLink]:
    """RSS and Atom links for a section, tag or author (`kind`) page."""
    rss, atom = (reverse(f"articles:{kind}_feed_{fmt}", args=[slug]) for fmt in ("rss", "atom"))
    return [
        FeedLink(f"{name} (RSS)", rss, "application/rss+xml"),
        FeedLink(f"{name} (Atom)", atom, "application/atom+xml"),
    ]


@dataclass
class PageMeta:
    """Everything `includes/meta.html` prints for one page."""

    title: str
    description: str
    canonical: str
    og_title: str
    og_type: str = "website"
    image: ImageMeta | None = None
    has_photo: bool = False
    published_time: str = ""
    modified_time: str = ""
    section: str = ""
    tags: list[str] = field(default_factory=list)
    author_urls: list[str] = field(default_factory=list)
    feeds: list[FeedLink] = field(default_factory=list)
    json_ld: list[dict] = field(default_factory=list)
    noindex: bool = False

    @property
    def site_name(self):
        return settings.NEWSROOM["SITE_NAME"]

    @property
    def twitter_card(self):
        return "summary_large_image" if self.has_photo else "summary"


def canonical_for(request, page_number=1, params=None) -> str:
    """The page's own absolute address: its path, `params` (a QueryDict) and ?page=N > 1."""
    query = params.copy() if params is not None else QueryDict(mutable=True)
    if page_number and page_number > 1:
        query["page"] = page_number
    url = absolute_url(request.path)
    return f"{url}?{query.urlencode()}" if query else url


def list_page_meta(request, page_obj, *, heading=None, description=None, feeds=()):
    """A paginated list of stories; the front page when there is no `heading`."""
    site = settings.NEWSROOM["SITE_NAME"]
    before = getattr(page_obj, "before", None)
    suffix = ""
    canonical = canonical_for(request)
    if before is not None:
        # A keyset page (articles/pagination.py): named by the story it starts below.
        when = date_format(timezone.localtime(before.published_at), "j F Y, H:i")
        suffix = f" — stories before {when}"
        canonical = canonical_for(request, params=QueryDict(page_obj.query))
    if heading:
        title = f"{heading}{suffix} — {site}"
        description = description or f"{heading}: the latest stories from {site}."
    else:
        title = f"{site}{suffix}"
        description = description or settings.NEWSROOM["TAGLINE"]
    return PageMeta(
        title=title,
        description=description,
        canonical=canonical,
        og_title=heading or site,
        image=publisher_logo(),
        feeds=list(feeds),
    )


def story_page_meta(story, tags, *, is_preview=False):
    """A story page. Staff previews (noindexed by the template) carry no dates or JSON-LD."""
    site = settings.NEWSROOM["SITE_NAME"]
    images = story_images(story)
    bylines = getattr(story, "bylines", [])
    meta = PageMeta(
        title=f"{story.headline} — {site}",
        description=story.dek or story.headline,
        canonical=absolute_url(story.get_absolute_url()),
        og_title=story.headline,
        og_type="article",
        image=images[0] if images else default_share_image(),
        has_photo=bool(images),
        section=story.section.name,
        tags=[tag.name for tag in tags],
        author_urls=[absolute_url(b.author.get_absolute_url()) for b in bylines],
        feeds=feeds_for("section", story.section.slug, story.section.name),
    )
    if not is_preview:
        meta.published_time = iso_datetime(story.published_at)
        meta.modified_time = iso_datetime(story.updated_at)
        meta.json_ld = story_json_ld(story, tags)
    return meta


def search_page_meta(request, query, page_obj, params):
    """Search results: useful to readers, not to index (noindex, follow)."""
    site = settings.NEWSROOM["SITE_NAME"]
    number = page_obj.number if page_obj else 1
    suffix = f" — page {number}" if number > 1 else ""
    title = f"Search: {query}{suffix} — {site}" if query else f"Search — {site}"
    return PageMeta(
        title=title,
        description=f"Search the stories of {site}.",
        canonical=canonical_for(request, number, params),
        og_title="Search",
        image=publisher_logo(),
        noindex=True,
    )


# ----------------------------------------------------------------- structured data


def publisher_json_ld() -> dict:
    logo = publisher_logo()
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.NEWSROOM["PUBLISHER_NAME"],
        "url": absolute_url(reverse("articles:home")),
        "logo": {
            "@type": "ImageObject",
            "url": logo.url,
            "width": logo.width,
            "height": logo.height,
        },
    }


def live_blog_json_ld(story, url) -> dict:
    """What makes a live story's NewsArticle a LiveBlogPosting: the coverage's times
    and the updates on the page (`story.live_page_updates`, set by the story view)."""
    updates = getattr(story, "live_page_updates", None) or []
    latest = getattr(story, "live_latest_at", None)
    fields = {
        "@type": "LiveBlogPosting",
        "coverageStartTime": iso_datetime(story.live_started_at),
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "headline": update.title,
                "datePublished": iso_datetime(update.posted_at),
                "url": f"{url}#{update.anchor}",
                "articleBody": update.text,
            }
            for update in updates
        ],
    }
    if story.live_ended_at:
        fields["coverageEndTime"] = iso_datetime(story.live_ended_at)
    if latest and latest > story.updated_at:
        fields["dateModified"] = iso_datetime(latest)
    return fields


def story_json_ld(story, tags) -> list[dict]:
    """schema.org NewsArticle and BreadcrumbList for a public story, as plain dicts.

    Expects `story` from `for_detail()` (bylines and section loaded) and its tags.
    Render with the `json_ld` template filter, which escapes for a <script> element.
    """
    url = absolute_url(story.get_absolute_url())
    section_url = absolute_url(story.section.get_absolute_url())
    home_url = absolute_url(reverse("articles:home"))
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": story.headline,
        "description": story.dek or story.headline,
        # Every story has one (rich results need it): the photo, else the site's card.
        "image": [image.url for image in story_images(story)] or [default_share_image().url],
        "datePublished": iso_datetime(story.published_at),
        "dateModified": iso_datetime(story.updated_at),
        "author": [
            {
                "@type": "Person",
                "name": byline.author.name,
                "url": absolute_url(byline.author.get_absolute_url()),
            }
            for byline in getattr(story, "bylines", [])
        ],
        "publisher": publisher_json_ld(),
        "articleSection": story.section.name,
        "keywords": [tag.name for tag in tags],
        "inLanguage": story.language,
    }
    if story.is_live_coverage:
        article.update(live_blog_json_ld(story, url))
    breadcrumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": home_url},
            {
                "@type": "ListItem",
                "position": 2,
                "name": story.section.name,
                "item": section_url,
            },
            {"@type": "ListItem", "position": 3, "name": story.headline, "item": url},
        ],
    }
    return [article, breadcrumbs]
