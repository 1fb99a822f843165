"""IPTC NewsML-G2: one newsItem (alone, or the only item of a newsMessage) with an
inline XHTML or NITF body (inlineXML), or a plain-text one (inlineData, text/plain);
its creators as the authors, and the pictures its itemMeta links to.

Read with defusedxml's ElementTree, not the IPTC's `newsmlg2` (which needs lxml): a
DTD, an entity declaration or an external reference is refused with its reason, never
expanded, so "billion laughs" bombs and external entities cannot reach anything.
"""

from xml.etree.ElementTree import tostring

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import ParseError, fromstring

from articles.models import HEADLINE_MAX_LENGTH
from articles.sanitize import sanitize_body

from .common import (
    USABLE,
    WireCopy,
    WireFormatError,
    clean_text,
    is_author_role,
    parse_time,
    parse_urgency,
    parse_version,
    picture_entry,
    plain_text_html,
    qcode,
    split_byline,
)

# NITF's block elements as their HTML equivalents (the sanitiser keeps the rest's text).
_NITF_TAGS = {"hl2": "h2", "bq": "blockquote", "block": "div", "em": "em", "pre": "p"}


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _strip_namespaces(element):
    for node in element.iter():
        node.tag = _local(node.tag)
        node.attrib = {_local(key): value for key, value in node.attrib.items()}


def _find(element, path):
    node = element
    for part in path.split("/"):
        # (`is not None`: an Element without children is falsy.)
        if node is None:
            return None
        node = next((child for child in node if child.tag == part), None)
    return node


def _text(element):
    return "".join(element.itertext()) if element is not None else ""


def _inner_html(element, renames=None):
    if element is None:
        return ""
    for node in element.iter():
        if renames and node.tag in renames:
            node.tag = renames[node.tag]
    parts = [element.text or ""]
    parts += [tostring(child, encoding="unicode", method="html") for child in element]
    return "".join(parts)


def _body(content_set):
    """(body HTML, by-lines found in the body): the first inlineXML holding XHTML or
    NITF, else the first inlineData in plain text (or HTML) turned into paragraphs."""
    for inline in content_set or ():
        if inline.tag != "inlineXML":
            continue
        kind = inline.get("contenttype", "")
        for root in inline:
            if root.tag == "html" or "xhtml" in kind:
                return _inner_html(_find(root, "body") if root.tag == "html" else root), []
            if root.tag == "nitf" or "nitf" in kind:
                bylines = [clean_text(_text(by), 100) for by in root.iter("byline")]
                content = _find(root, "body/body.content")
                return _inner_html(content, _NITF_TAGS), [name for name in bylines if name]
    for inline in content_set or ():
        if inline.tag != "inlineData":
            continue
        kind = inline.get("contenttype", "text/plain").lower()
        if "html" in kind:
            return _text(inline), []
        if kind.startswith("text/plain"):
            return plain_text_html(_text(inline)), []
    return "", []


def _authors(content_meta, language, nitf_bylines):
    """The creators (people: a creator with an author role or none, not an
    organisation), else the by-line split into people, else the NITF by-lines."""
    names = []
    for creator in content_meta.iter("creator"):
        role = creator.get("role")
        if role and not is_author_role(role):
            continue  # a photographer or a graphic artist of a text's picture
        if "organisation" in (creator.get("type") or "").lower():
            continue
        name = clean_text(_text(_find(creator, "name")), 100)
        if name and name not in names:
            names.append(name)
    if names:
        return names
    by = _text(_find(content_meta, "by"))
    if by.strip():
        return split_byline(by, language)
    return [name for line in nitf_bylines for name in split_byline(line, language)]


def _pictures(item_meta):
    """The pictures the item links to: `link`s whose itemClass is ninat:picture or
    whose content type is an image, with the link's title, caption, credit and rights."""
    pictures = []
    for link in item_meta.iter("link"):
        item_class = _find(link, "itemClass")
        kind = item_class.get("qcode", "") if item_class is not None else ""
        contenttype = link.get("contenttype") or ""
        if not (kind.endswith(":picture") or contenttype.startswith("image/")):
            continue
        caption = _text(_find(link, "description")) or _text(_find(link, "title"))
        rights = " ".join(
            _text(node) for node in link.iter() if node.tag in ("copyrightNotice", "usageTerms")
        )
        pictures.append(
            picture_entry(
                uri=link.get("residref") or link.get("href"),
                caption=caption or link.get("title"),
                credit=_text(_find(link, "creditline")) or _text(_find(link, "by")),
                rights=rights,
                renditions=[
                    {
                        "name": link.get("rendition") or "picture",
                        "href": link.get("href"),
                        "contenttype": contenttype,
                        "width": link.get("width"),
                        "height": link.get("height"),
                        "size": link.get("size"),
                    }
                ],
            )
        )
    return [picture for picture in pictures if picture["renditions"]]


def parse(data, name):
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise WireFormatError("has a DTD (<!DOCTYPE>): refused, wire items need none") from None
    except EntitiesForbidden:
        raise WireFormatError(
            "declares XML entities: refused (entity expansion is how XML bombs work)"
        ) from None
    except ExternalReferenceForbidden:
        raise WireFormatError("refers to an external entity or file: refused") from None
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise WireFormatError(f"not well-formed XML ({error.msg})", line) from None
    _strip_namespaces(root)
    if root.tag == "newsMessage":
        items = list(root.iter("newsItem"))
        if len(items) != 1:
            raise WireFormatError(f"a newsMessage with {len(items)} newsItems; send one a file")
        root = items[0]
    if root.tag != "newsItem":
        raise WireFormatError(f"the root element is <{root.tag}>, not a NewsML-G2 <newsItem>")
    guid = (root.get("guid") or "").strip()
    if not guid:
        raise WireFormatError("the newsItem has no guid")
    item_meta = _find(root, "itemMeta")
    content_meta = _find(root, "contentMeta")
    if item_meta is None or content_meta is None:
        raise WireFormatError("the newsItem needs itemMeta and contentMeta")

    pub_status = _find(item_meta, "pubStatus")
    status = (pub_status.get("qcode", "") if pub_status is not None else "") or "stat:usable"
    status = status.rsplit(":", 1)[-1].lower() or USABLE
    headline = clean_text(_text(_find(content_meta, "headline")), 10_000)
    if not headline and status == USABLE:
        raise WireFormatError("no headline in contentMeta")
    if len(headline) > HEADLINE_MAX_LENGTH:
        raise WireFormatError(
            f"headline is {len(headline)} characters long; the limit is {HEADLINE_MAX_LENGTH}"
        )
    body, nitf_bylines = _body(_find(root, "contentSet"))
    language_tag = _find(content_meta, "language")
    language = root.get("lang") or (language_tag.get("tag", "") if language_tag is not None else "")
    subjects = []
    for subject in content_meta.iter("subject"):
        code = qcode(subject.get("qcode") or subject.get("uri"))
        if code:
            subjects.append((code[:100], clean_text(_text(_find(subject, "name")), 100)))
    service = _find(item_meta, "service")
    pictures = _pictures(item_meta)
    picture_links = {picture["uri"] for picture in pictures}
    related = [
        clean_text(link.get("title"), HEADLINE_MAX_LENGTH)
        for link in item_meta.iter("link")
        if link.get("title")
        and clean_text(link.get("residref") or link.get("href"), 500) not in picture_links
    ]
    return WireCopy(
        guid=guid[:200],
        version=parse_version(root.get("version")),
        headline=headline,
        body_html=sanitize_body(body),
        dek=clean_text(_text(_find(content_meta, "description")), 300),
        bylines=_authors(content_meta, language, nitf_bylines),
        subjects=subjects,
        language=_language(root, content_meta),
        urgency=parse_urgency(_text(_find(content_meta, "urgency")).strip()),
        embargoed=parse_time(_text(_find(item_meta, "embargoed")).strip(), "embargoed"),
        pub_status=status,
        section_hint=clean_text(_text(_find(service, "name")) if service is not None else "", 100),
        related_headlines=related,
        pictures=pictures,
        signals=[
            qcode(sig.get("qcode") or sig.get("uri"))[:100]
            for sig in item_meta.iter("signal")
            if sig.get("qcode") or sig.get("uri")
        ],
    )


def _language(item, content_meta):
    """The item's language, most specific first: xml:lang on the body (inlineXML or its
    root), contentMeta's <language tag>, xml:lang on contentMeta, then on the newsItem."""
    inline = next((n for n in _find(item, "contentSet") or () if n.tag == "inlineXML"), None)
    language = _find(content_meta, "language")
    candidates = [
        *(
            [inline.get("lang"), *(child.get("lang") for child in inline)]
            if inline is not None
            else []
        ),
        language.get("tag") if language is not None else None,
        content_meta.get("lang"),
        item.get("lang"),
    ]
    return clean_text(next((value for value in candidates if value), ""), 35)
