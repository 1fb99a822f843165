"""IPTC ninjs (news in JSON), versions 1.x and 2.x.

1.x: ``uri``, ``version``, ``headline``, ``body_html``, ``byline``, ``subject``
[{code, scheme, name}], ``urgency``, ``embargoed``, ``pubstatus``.
2.x: ``headlines`` and ``bodies`` (lists with roles), ``by`` and ``authors``,
``subjects`` [{uri, name}]; the rest as 1.x. Both may carry ``associations``.
"""

import json

from articles.models import HEADLINE_MAX_LENGTH
from articles.sanitize import sanitize_body

from . import (
    USABLE,
    WireCopy,
    WireFormatError,
    clean_text,
    parse_time,
    parse_urgency,
    parse_version,
    qcode,
)


def _first(items, *, role_prefers=("main", "default", "")):
    """The value of the preferred entry of a 2.x list of {value, role}."""
    if not isinstance(items, list):
        return ""
    entries = [item for item in items if isinstance(item, dict) and item.get("value")]
    for role in role_prefers:
        for item in entries:
            if (item.get("role") or "") == role:
                return item["value"]
    return entries[0]["value"] if entries else ""


def _body(item):
    if isinstance(item.get("body_html"), str):
        return item["body_html"]
    bodies = item.get("bodies")
    if isinstance(bodies, list):
        html = [
            body
            for body in bodies
            if isinstance(body, dict) and "html" in str(body.get("contenttype", "text/html"))
        ]
        return _first(html)
    return ""


def _subjects(item):
    found = []
    for subject in item.get("subjects") or item.get("subject") or []:
        if not isinstance(subject, dict):
            continue
        code = qcode(subject.get("uri") or subject.get("code"), subject.get("scheme"))
        if code:
            found.append((code[:100], clean_text(subject.get("name"), 100)))
    return found


def _bylines(item):
    names = []
    for author in item.get("authors") or []:
        if isinstance(author, dict) and author.get("name"):
            names.append(clean_text(author["name"], 100))
    if not names:
        by = item.get("by") or item.get("byline") or ""
        if isinstance(by, str) and by.strip():
            names = [clean_text(by, 100)]
    return names


def _related(associations):
    headlines = []
    if isinstance(associations, dict):
        associations = list(associations.values())
    for association in associations or []:
        if not isinstance(association, dict) or association.get("type") not in ("text", None):
            continue
        headline = association.get("headline") or _first(association.get("headlines"))
        if headline:
            headlines.append(clean_text(headline, HEADLINE_MAX_LENGTH))
    return headlines


def parse(data, name):
    try:
        item = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise WireFormatError(f"not UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise WireFormatError(f"not valid JSON: {error.msg}", error.lineno) from None
    if not isinstance(item, dict):
        raise WireFormatError("a ninjs item is a JSON object")
    guid = item.get("uri") or item.get("guid")
    if not isinstance(guid, str) or not guid.strip():
        raise WireFormatError("no uri: a ninjs item needs its identifier")
    headline = item.get("headline") or _first(item.get("headlines"))
    headline = clean_text(headline, 10_000)
    pub_status = str(item.get("pubstatus") or item.get("pubStatus") or USABLE).lower()
    if not headline and pub_status == USABLE:
        raise WireFormatError("no headline")
    if len(headline) > HEADLINE_MAX_LENGTH:
        raise WireFormatError(
            f"headline is {len(headline)} characters long; the limit is {HEADLINE_MAX_LENGTH}"
        )
    description = item.get("description_text") or _first(item.get("descriptions"))
    return WireCopy(
        guid=guid.strip()[:200],
        version=parse_version(item.get("version")),
        headline=headline,
        body_html=sanitize_body(_body(item)),
        dek=clean_text(description, 300),
        bylines=_bylines(item),
        subjects=_subjects(item),
        urgency=parse_urgency(item.get("urgency")),
        language=clean_text(item.get("language"), 35),
        embargoed=parse_time(item.get("embargoed"), "embargoed"),
        pub_status=pub_status,
        section_hint=clean_text(_service(item), 100),
        related_headlines=_related(item.get("associations")),
    )


def _service(item):
    service = item.get("service")
    if isinstance(service, list) and service and isinstance(service[0], dict):
        return service[0].get("name") or service[0].get("code") or ""
    return ""
