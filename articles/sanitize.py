"""The one policy for rich text: what editors may put in a story body.

Stored bodies have been through `sanitize_body`, so templates may mark them safe.
"""

from html.parser import HTMLParser

import nh3

# Paragraphs, bold, italic, links, subheadings, lists and quotes: what a news story needs.
BODY_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "a", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "hr", "figure", "figcaption",
}  # fmt: skip
BODY_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_cleaner = nh3.Cleaner(
    tags=BODY_TAGS,
    attributes=BODY_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    # Outbound links must not leak the reader or pass on our ranking.
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitize_body(html):
    """Return `html` reduced to the newsroom's allowed tags, attributes and URL schemes."""
    if not html:
        return ""
    cleaned = _cleaner.clean(html).strip()
    # ProseMirror submits an empty paragraph for an empty editor.
    return "" if cleaned in {"<p></p>", "<p><br></p>"} else cleaned


# Elements whose edges separate words: text on either side is never run together, even
# when the HTML has no whitespace between them (`<p>Alpha</p><p>Beta</p>`).
_BLOCKS = BODY_TAGS - {"strong", "b", "em", "i", "u", "s", "sub", "sup", "a"} | {"div", "h1"}


class _TextOf(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        self.handle_starttag(tag, ())

    def handle_data(self, data):
        self.parts.append(data)


def text_of(html):
    """The words of an HTML fragment as one line of plain text: paragraphs, line breaks,
    list items and headings become separate words; entities are decoded."""
    if not html:
        return ""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).replace("\xa0", " ").split())
