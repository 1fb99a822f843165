"""What the site tells feed readers, crawlers and social networks about its content.

Everything absolute starts from `settings.NEWSROOM["BASE_URL"]`, so the URLs are the
same whichever host name a request came in on.
"""

import mimetypes
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone
from django.utils.encoding import iri_to_uri

# Characters XML 1.0 cannot carry. The importer refuses them, but a headline typed or
# pasted in the admin may hold one, and a feed or sitemap must still be served.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text) -> str:
    """`text` without the control characters XML 1.0 forbids."""
    return _NOT_XML.sub("", str(text or ""))


def absolute_url(url: str) -> str:
    """`url` (a path like "/stories/x/", or already absolute) on the configured site."""
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


def story_images(story) -> list[ImageMeta]:
    """The story's lead photo as absolute image data, largest first; [] without one.

    One entry today; renditions (several sizes) belong here when they exist.
    """
    if not story.lead_photo:
        return []
    return [
        ImageMeta(
            url=absolute_url(story.lead_photo.url),
            width=story.lead_photo_width,
            height=story.lead_photo_height,
            alt=story.photo_alt or story.headline,
        )
    ]
