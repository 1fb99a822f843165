"""IPTC ninjs (news in JSON), versions 1.x and 2.x.

Every item is first checked against the IPTC's own JSON Schema for its version (the
published files, in schemas/: ninjs 1.6, draft-07; ninjs 2.2, draft 2020-12, which
refers to the GeoJSON schema, shipped too), so an item that breaks the standard (a
headline that is a number, no `uri`) is refused with the schema's reason instead of
being read as something it is not. No network is used: every `$ref` resolves to a
shipped file.

1.x: ``uri``, ``version``, ``headline``, ``body_html`` / ``body_text``, ``byline``,
``person`` [{name, rel}], ``subject`` [{code, scheme, name}], ``urgency``,
``embargoed``, ``pubstatus``, ``associations`` {name: ninjs}.
2.x: ``headlines``, ``bodies`` and ``descriptions`` (lists with roles and content
types), ``by`` and ``people`` [{name, rel}], ``subjects`` [{uri, name}],
``associations`` [ninjs with a name]; the rest as 1.x.
"""

import json
import re
from functools import cache
from pathlib import Path

from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

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

SCHEMA_FOLDER = Path(__file__).with_name("schemas")
# The latest schema of each major version the desk reads (minor versions only add
# properties: 1.6 accepts 1.0 to 1.5 items, 2.2 accepts 2.0 and 2.1 ones).
SCHEMAS = {1: "ninjs-schema_1.6.json", 2: "ninjs-schema_2.2.json"}
# Schemas the ninjs ones refer to by address, resolved to the shipped copy.
REFERENCED = ["GeoJSON.json"]


def _load(name):
    return json.loads((SCHEMA_FOLDER / name).read_text(encoding="utf-8"))


@cache
def validator(major):
    """The validator for ninjs `major`.x: its schema's own draft, its references local."""
    schema = _load(SCHEMAS[major])
    # The draft the file declares ($schema) is the one its keywords mean: draft-07 for
    # 1.x, 2020-12 (unevaluatedProperties…) for 2.x.
    validator_class = validator_for(schema, default=None)
    if validator_class is None:
        raise RuntimeError(f"{SCHEMAS[major]} declares a JSON-Schema draft jsonschema lacks")
    resources = [Resource.from_contents(_load(other)) for other in REFERENCED]
    registry = Registry().with_resources(
        (resource.contents["$id"], resource) for resource in resources
    )
    return validator_class(schema, registry=registry)


@cache
def _top_level(major):
    schema = _load(SCHEMAS[major])
    root = schema["$defs"]["ninjsType"] if "$defs" in schema else schema
    return set(root["properties"]), tuple(schema.get("patternProperties", {}))


def _major(item):
    """Which ninjs an item is: the version it declares (`$standard` in 1.x, `standard`
    in 2.x), else the one whose own property names it uses most (2.x on a tie)."""
    for key in ("standard", "$standard"):
        declared = item.get(key)
        if isinstance(declared, dict) and isinstance(declared.get("version"), str):
            major = declared["version"].strip().split(".")[0]
            if major.isdigit() and int(major) in SCHEMAS:
                return int(major)
            if major.isdigit():
                raise WireFormatError(
                    f"declares ninjs {declared['version'].strip()[:20]}; "
                    "this site reads ninjs 1.x and 2.x"
                )
    one, patterns = _top_level(1)
    two, _ = _top_level(2)
    ones = sum(
        1
        for key in item
        if (key in one and key not in two) or any(re.match(p, key) for p in patterns)
    )
    twos = sum(1 for key in item if key in two and key not in one)
    return 1 if ones > twos else 2


def validate(item):
    """The item's ninjs major version; WireFormatError with the schema's reason if it
    does not follow it."""
    major = _major(item)
    try:
        error = best_match(validator(major).iter_errors(item))
    except Unresolvable as problem:  # a shipped schema refers to one not shipped
        raise WireFormatError(f"cannot be checked against ninjs {major}.x: {problem}") from None
    if error is not None:
        where = error.json_path if error.path else "the item"
        message = error.message if len(error.message) <= 300 else error.message[:300] + "…"
        raise WireFormatError(f"does not follow ninjs {major}.x ({where}): {message}")
    return major


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


def _is_html(contenttype, value):
    if contenttype:
        return "html" in contenttype.lower()
    # No content type: "up to the provider" (the standard); markup says which it is.
    return "<" in value and ">" in value


def _body(item):
    """The body as HTML: an HTML body if there is one, else a plain-text one turned into
    paragraphs (an agency's FLASH is often plain text only)."""
    html, text = [], []
    # 1.x: body_html, body_xhtml… and body_text, body_plain… (body_<format>).
    for key, value in item.items():
        if key.startswith("body_") and isinstance(value, str) and value.strip():
            if "html" in key:
                html.append({"value": value, "role": "main" if key == "body_html" else key})
            elif "text" in key or "plain" in key:
                text.append({"value": value, "role": "main" if key == "body_text" else key})
    # 2.x: bodies [{role, contenttype, value}].
    for body in item.get("bodies") or []:
        if isinstance(body, dict) and isinstance(body.get("value"), str) and body["value"].strip():
            contenttype = str(body.get("contenttype") or "")
            if _is_html(contenttype, body["value"]):
                html.append(body)
            elif not contenttype or contenttype.lower().startswith("text/plain"):
                text.append(body)
    if html:
        return _first(html)
    return plain_text_html(_first(text)) if text else ""


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
    """The authors: the people the item names as its authors (2.x `people`, 1.x
    `person`, with an author `rel`), else the by-line split into people."""
    names = []
    for person in item.get("people") or item.get("person") or []:
        if isinstance(person, dict) and person.get("name") and is_author_role(person.get("rel")):
            name = clean_text(person["name"], 100)
            if name not in names:
                names.append(name)
    if names:
        return names
    names = split_byline(item.get("by") or item.get("byline") or "", item.get("language"))
    # "Von Christian Hollmann, dpa": the agency's credit is not a person.
    agency = clean_text(item.get("copyrightholder"), 100).casefold()
    return [name for name in names if name.casefold() != agency] or names


def _associations(item):
    associations = item.get("associations") or []
    if isinstance(associations, dict):  # 1.x: {name: ninjs}
        associations = list(associations.values())
    return [association for association in associations if isinstance(association, dict)]


def _related(item):
    headlines = []
    for association in _associations(item):
        if association.get("type") not in ("text", None):
            continue
        headline = association.get("headline") or _first(association.get("headlines"))
        if headline:
            headlines.append(clean_text(headline, HEADLINE_MAX_LENGTH))
    return headlines


def _pictures(item):
    pictures = []
    for association in _associations(item):
        if association.get("type") not in ("picture", "graphic"):
            continue
        renditions = association.get("renditions") or []
        if isinstance(renditions, dict):  # 1.x: {name: {href, mimetype, …}}
            renditions = [
                {**rendition, "name": name}
                for name, rendition in renditions.items()
                if isinstance(rendition, dict)
            ]
        caption = (
            association.get("description_text")
            or _first(association.get("descriptions"))
            or association.get("headline")
            or _first(association.get("headlines"))
        )
        credit = (
            association.get("by") or association.get("byline") or association.get("copyrightholder")
        )
        rights = " ".join(
            str(association.get(key) or "") for key in ("copyrightnotice", "usageterms")
        )
        pictures.append(
            picture_entry(
                uri=association.get("uri"),
                caption=caption,
                credit=credit,
                rights=rights,
                renditions=[
                    {
                        "name": rendition.get("name"),
                        "href": rendition.get("href"),
                        "contenttype": rendition.get("contenttype") or rendition.get("mimetype"),
                        "width": rendition.get("width"),
                        "height": rendition.get("height"),
                        "size": rendition.get("sizeinbytes"),
                    }
                    for rendition in renditions
                    if isinstance(rendition, dict)
                ],
            )
        )
    return [picture for picture in pictures if picture["renditions"]]


def parse(data, name):
    try:
        item = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise WireFormatError(f"not UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise WireFormatError(f"not valid JSON: {error.msg}", error.lineno) from None
    if not isinstance(item, dict):
        raise WireFormatError("a ninjs item is a JSON object")
    validate(item)
    # The schema requires `uri`; an empty one identifies nothing either.
    guid = item["uri"].strip()
    if not guid:
        raise WireFormatError("the uri is empty: a ninjs item needs its identifier")
    headline = clean_text(item.get("headline") or _first(item.get("headlines")), 10_000)
    pub_status = str(item.get("pubstatus") or USABLE).lower()
    if not headline and pub_status == USABLE:
        raise WireFormatError("no headline")
    if len(headline) > HEADLINE_MAX_LENGTH:
        raise WireFormatError(
            f"headline is {len(headline)} characters long; the limit is {HEADLINE_MAX_LENGTH}"
        )
    description = item.get("description_text") or _first(item.get("descriptions"))
    return WireCopy(
        guid=guid[:200],
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
        related_headlines=_related(item),
        pictures=_pictures(item),
        signals=parse_signals(item),
    )


def parse_signals(item):
    """`signals` ([{name, uri}], or bare codes) as qcodes: "sig:correction". ninjs 1.6
    and 2.2 define none (their schemas refuse the property); read where one does."""
    signals = item.get("signals")
    found = []
    for signal in signals if isinstance(signals, list) else []:
        if isinstance(signal, dict):
            signal = signal.get("uri") or signal.get("qcode") or signal.get("code")
        if isinstance(signal, str) and signal.strip():
            found.append(qcode(signal)[:100])
    return found
