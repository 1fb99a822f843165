"""A story body as blocks: paragraphs of sanitised HTML, and the blocks between them.

The stored body stays what the editor wrote, sanitised by articles/sanitize.py: plain
paragraphs, headings, lists. A *block* is a top-level paragraph that stands for
something richer. Two kinds exist: the **embed**, a paragraph whose only content
is the address of a supported provider (pasted as text, or as a link whose text is the
title), becomes a privacy facade (articles/embeds.py); a **library photo or gallery**,
a paragraph that is only its code (`[photo 12]`, `[gallery 3]`), becomes a figure
(articles/inline_media.py). Nothing new is stored and nothing
the editor typed is ever output as markup: a block's HTML comes from this module's
templates with every value escaped, and the paragraph around it is dropped.

How the pieces use it:
- the admin form: `errors(body)` lists the paragraphs that look like an embed but
  cannot be one (an unsupported or malformed address), as form errors;
- the story page: `for_readers(body)` (template filter `reader_body`), inside the story
  article the page cache keeps, so the work is done once per change of the story;
- feeds: `for_feeds(body)`, where every block becomes a plain link (no iframes).

**Adding a kind** (inline photos and galleries from the library, later): write a class
with the four methods of `EmbedKind` (`claim`, `prefetch`, `reader_html`, `feed_html`)
and append an instance to `KINDS`. `claim(paragraph)` looks at one top-level paragraph
(its sole link's `href`, e.g. a library photo's address, or its text) and returns a
block or None; `prefetch(blocks)` gets every block of that kind in the body at once, so
a photo kind loads all its photos with ONE query (`Photo.objects.in_bulk(ids)`) and the
story page's query count stays constant however many photos the body holds. Kinds are
asked in order; the first claim wins.
"""

import html
import re
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import mark_safe

from . import cache, embeds
from .inline_media import LibraryKind
from .photos import inline as library

# A start or end tag of sanitised HTML (nh3 always quotes attribute values with ").
_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"]|"[^"]*")*)>')
_VOID = {"br", "hr", "img", "wbr"}
_SOLE_LINK = re.compile(r'\s*<a\s((?:[^>"]|"[^"]*")*)>(.*?)</a>\s*', re.DOTALL | re.IGNORECASE)
_HREF = re.compile(r'\bhref="([^"]*)"')
_TRAILING_BREAKS = re.compile(r"(?:\s|<br\s*/?>)+$", re.IGNORECASE)


def _bare(address):
    """An address without its scheme or trailing slash, to compare with link text."""
    return re.sub(r"^[a-z]+://", "", address.strip(), flags=re.IGNORECASE).rstrip("/")


def _text(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", fragment)).split())


@dataclass(frozen=True)
class Paragraph:
    """One top-level <p> of the body: what a kind looks at to claim it."""

    html: str  # the whole element, as stored
    text: str  # what a reader reads, entities decoded, spacing collapsed
    href: str | None  # the address of its sole link, if a link is all it holds
    link_text: str  # that link's text


def _paragraph(outer, inner):
    inner = _TRAILING_BREAKS.sub("", inner)
    text = _text(inner)
    href, link_text = None, ""
    sole = _SOLE_LINK.fullmatch(inner)
    if sole and "<a" not in sole.group(2).lower():
        found = _HREF.search(sole.group(1))
        if found:
            href = html.unescape(found.group(1))
            link_text = _text(sole.group(2))
    return Paragraph(outer, text, href, link_text)


def _split(body):
    """The body as a list of str (HTML kept as it is) and Paragraph (top-level <p>)."""
    parts, depth, start, opened, last = [], 0, None, None, 0
    for match in _TAG.finditer(body):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID or match.group(3).rstrip().endswith("/"):
            continue
        if not closing:
            if depth == 0 and name == "p":
                start, opened = match.start(), match.end()
            depth += 1
        else:
            depth = max(depth - 1, 0)
            if depth == 0 and name == "p" and start is not None:
                if start > last:
                    parts.append(body[last:start])
                parts.append(_paragraph(body[start : match.end()], body[opened : match.start()]))
                last, start = match.end(), None
    if last < len(body):
        parts.append(body[last:])
    return parts


@dataclass
class EmbedBlock:
    embed: embeds.Embed
    title: str  # the link's text when it is not the address itself, else ""
    kind: "EmbedKind"


class EmbedKind:
    """A paragraph that is only an address (or a link to one) of a supported provider."""

    name = "embed"

    @staticmethod
    def _address(paragraph):
        """(address, title) when the paragraph is meant as an embed, else None."""
        if paragraph.href is not None and paragraph.text == paragraph.link_text:
            title = paragraph.link_text
            if embeds.looks_like_url(title) or _bare(title) == _bare(paragraph.href):
                title = ""  # the editor's autolinked address, not a title
            return paragraph.href, title
        if embeds.looks_like_url(paragraph.text):
            return paragraph.text, ""
        return None

    def claim(self, paragraph):
        """An EmbedBlock, None (an ordinary paragraph), or EmbedError (the form says why).

        A bare address must embed; a titled link embeds when its address is supported
        and otherwise stays an ordinary link ("Read the report" on a line of its own).
        """
        found = self._address(paragraph)
        if found is None:
            return None
        address, title = found
        try:
            return EmbedBlock(embeds.resolve(address), title[:300], self)
        except embeds.EmbedError:
            if title and not embeds.looks_like_url(paragraph.text):
                return None
            raise

    def prefetch(self, blocks):
        """Nothing to load: the address says everything."""

    def reader_html(self, block, number):
        """A figure whose caption links the original (all a reader gets without
        JavaScript); static/js/embeds.js shows the facade and, on click, the iframe."""
        embed, name = block.embed, block.embed.provider.name
        label = f"{name}: {block.title}" if block.title else name
        caption = f"embed-{number}-caption"
        return format_html(
            '<figure class="embed embed--{shape}" data-embed-src="{src}" data-embed-title="{label}"'
            ' data-embed-sandbox="{sandbox}" data-embed-allow="{allow}">'
            '<div class="embed__facade" hidden>'
            '<p class="embed__notice">Loading it lets {name} see your visit.</p>'
            '<button type="button" class="embed__load" aria-describedby="{caption}">'
            "Load {name} content</button></div>"
            '<figcaption id="{caption}"><span class="embed__provider">{name}</span>{title} '
            '<a class="embed__link" href="{url}" rel="noopener noreferrer nofollow">'
            "Open on {name}</a></figcaption></figure>",
            shape=embed.shape,
            src=embed.iframe_url,
            label=label,
            sandbox=embed.sandbox or "",
            allow=embeds.ALLOW,
            caption=caption,
            name=name,
            title=format_html(': <span class="embed__title">{}</span>', block.title)
            if block.title
            else "",
            url=embed.url,
        )

    def feed_html(self, block):
        name = block.embed.provider.name
        text = f"{name}: {block.title}" if block.title else f"{name}: {block.embed.url}"
        return format_html(
            '<p><a href="{}" rel="noopener noreferrer nofollow">{}</a></p>', block.embed.url, text
        )


# Library photos and galleries first: their codes ("[photo 12]") are never addresses.
KINDS = [LibraryKind(), EmbedKind()]


def _claimed(body, claimed):
    """The body as parts, its blocks added to `claimed` ({kind: [block, …]})."""
    result = []
    for part in _split(body or ""):
        if isinstance(part, str):
            result.append(part)
            continue
        block = None
        for kind in KINDS:
            try:
                block = kind.claim(part)
            except ValueError:
                block = None
            if block is not None:
                claimed.setdefault(kind, []).append(block)
                break
        result.append(block if block is not None else part.html)
    return result


def library_references(body):
    """(photo ids, gallery ids) of the library that the body's paragraphs place, valid
    codes or not (BodyUse: articles/signal_handlers.py)."""
    return library.references(
        part.text for part in _split(body or "") if isinstance(part, Paragraph)
    )


def blocks_of_many(bodies):
    """`blocks(body)` for each body, each kind's blocks of them all loaded at once (a
    feed's twenty stories load their photos in one query, not twenty)."""
    claimed = {}
    results = [_claimed(body, claimed) for body in bodies]
    for kind, found in claimed.items():
        kind.prefetch(found)
    return results


def blocks(body):
    """The body as a list of str (sanitised HTML, as stored) and blocks, in order.

    A paragraph no kind can use (errors() would name it) stays as it is.
    """
    return blocks_of_many([body])[0]


def errors(body):
    """What the editor must fix: one message per paragraph no kind can use, then what
    a kind's `check(blocks)` finds wrong with the blocks it claimed (a photo code naming
    no photo of the library)."""
    messages = []
    claimed = {}
    for part in _split(body or ""):
        if isinstance(part, Paragraph):
            for kind in KINDS:
                try:
                    block = kind.claim(part)
                except ValueError as error:
                    messages.append(str(error))
                    break
                if block is not None:
                    claimed.setdefault(kind, []).append(block)
                    break
    for kind, found in claimed.items():
        if hasattr(kind, "check"):
            messages.extend(kind.check(found))
    return messages


def _shown(parts, shows):
    """Declare the blocks' cache tags: to the page being rendered, and to `shows` (the
    tags of a fragment that keeps this body, e.g. the story's article)."""
    found = set()
    for part in parts:
        found |= getattr(part, "tags", set())
    if found:
        cache.depends_on(*found)
        if shows is not None:
            shows.update(found)


def for_readers(body, shows=None):
    """The story page's body: stored HTML with each block rendered (safe to output)."""
    parts, number, found = [], 0, blocks(body)
    _shown(found, shows)
    for part in found:
        if isinstance(part, str):
            parts.append(part)
        else:
            number += 1
            parts.append(part.kind.reader_html(part, number))
    return mark_safe("".join(parts))  # sanitised HTML and escaped blocks


def for_feeds(body):
    """The body for feed readers: embeds plain links, photos plain figures, no script."""
    return for_feeds_many([body])[0]


def for_feeds_many(bodies):
    """`for_feeds` of each body, the blocks of them all loaded at once."""
    results = []
    for found in blocks_of_many(bodies):
        _shown(found, None)
        results.append(
            mark_safe(  # sanitised HTML and escaped blocks
                "".join(
                    part if isinstance(part, str) else part.kind.feed_html(part) for part in found
                )
            )
        )
    return results
