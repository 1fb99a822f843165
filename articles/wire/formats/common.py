"""What every wire format shares: the normalised `WireCopy`, its error, the limits, and
the helpers the parsers (text.py, ninjs.py, newsml.py) read their fields with.
Re-exported by the package (articles/wire/formats/__init__.py)."""

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

# A long news story is tens of kilobytes; a wire file of megabytes is not one item.
MAX_BYTES = 2 * 1024 * 1024

FORMATS = {
    "text": "Plain text (newsroom)",
    "ninjs": "IPTC ninjs (JSON)",
    "newsml": "IPTC NewsML-G2",
}

# IPTC pubStatus: "usable", "withheld", "canceled". The last two withdraw the item.
USABLE = "usable"
WITHDRAWN = {"withheld", "canceled", "cancelled"}


class WireFormatError(Exception):
    """Why an item cannot be read; `line` when the problem has one."""

    def __init__(self, message, line=None):
        self.message, self.line = message, line
        super().__init__(str(self))

    def __str__(self):
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class WireCopy:
    """One agency item, whatever its format."""

    guid: str
    version: int
    headline: str
    body_html: str = ""
    dek: str = ""
    bylines: list[str] = field(default_factory=list)
    # (code, name): codes as IPTC qcodes where known ("medtop:20000822", "subj:04000000").
    subjects: list[tuple[str, str]] = field(default_factory=list)
    urgency: int | None = None
    embargoed: datetime | None = None
    pub_status: str = USABLE
    section_hint: str = ""
    # The item's language tag as given ("ko", "en-GB"); checked on receipt.
    language: str = ""
    related_headlines: list[str] = field(default_factory=list)
    # Pictures that come with the item: [{uri, caption, credit, rights, renditions:
    # [{name, href, contenttype, width, height, size}]}] (picture_entry()).
    pictures: list[dict] = field(default_factory=list)
    # IPTC signals as qcodes: "sig:correction", "sig:update" (ninjs `signals`, G2 <signal>).
    signals: list[str] = field(default_factory=list)

    @property
    def withdrawn(self):
        return self.pub_status in WITHDRAWN


def check_size(data):
    if len(data) > MAX_BYTES:
        raise WireFormatError(f"is {len(data):,} bytes; the limit is {MAX_BYTES:,}")


def parse_time(value, what):
    """An ISO 8601 time as an aware datetime (UTC when no offset is given)."""
    if value in (None, ""):
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise WireFormatError(f"{what} is not an ISO 8601 time: {str(value)[:60]!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_urgency(value):
    """IPTC urgency, 1 (flash) to 9; None when absent."""
    if value in (None, ""):
        return None
    try:
        urgency = int(str(value).strip())
    except ValueError:
        raise WireFormatError(f"urgency is not a number: {str(value)[:20]!r}") from None
    if not 1 <= urgency <= 9:
        raise WireFormatError(f"urgency {urgency} is outside 1 to 9")
    return urgency


def parse_version(value):
    if value in (None, ""):
        return 1
    try:
        version = int(str(value).strip())
    except ValueError:
        raise WireFormatError(f"version is not a number: {str(value)[:20]!r}") from None
    if version < 1:
        raise WireFormatError("version must be 1 or more")
    return version


_SCHEMES = {
    "http://cv.iptc.org/newscodes/mediatopic/": "medtop:",
    "https://cv.iptc.org/newscodes/mediatopic/": "medtop:",
    "http://cv.iptc.org/newscodes/subjectcode/": "subj:",
    "https://cv.iptc.org/newscodes/subjectcode/": "subj:",
    "http://cv.iptc.org/newscodes/signal/": "sig:",
    "https://cv.iptc.org/newscodes/signal/": "sig:",
}


def qcode(code, scheme=""):
    """A subject code as an IPTC qcode: "medtop:20000822" from a URI, a scheme plus a
    code, or a qcode already."""
    code = (code or "").strip()
    for uri, prefix in _SCHEMES.items():
        if code.startswith(uri):
            return prefix + code[len(uri) :].strip("/")
    if ":" in code or not code:
        return code
    scheme = (scheme or "").strip()
    for uri, prefix in _SCHEMES.items():
        if scheme.rstrip("/") + "/" == uri:
            return prefix + code
    if scheme in {"medtop", "subj"}:
        return f"{scheme}:{code}"
    return code


def clean_text(value, limit):
    """Plain text from a field: whitespace collapsed, cut to `limit` characters."""
    return " ".join(str(value or "").split())[:limit]


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def plain_text_html(text):
    """A plain-text body as paragraphs: blank lines separate them, and the lines of one
    paragraph (copy wrapped at a fixed width) are joined. Text without any blank line
    has one paragraph a line (as an agency's one-line-per-paragraph copy)."""
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    if _BLANK_LINE.search(text):
        blocks = [" ".join(block.split()) for block in _BLANK_LINE.split(text)]
    else:
        blocks = [" ".join(line.split()) for line in text.split("\n")]
    # Escaped, as the importer's paragraphs (articles/importing.py's body_html, which
    # this module cannot import: articles.models imports the wire's models, and so this).
    return "\n".join(f"<p>{html.escape(block, quote=False)}</p>" for block in blocks if block)


# What joins two names in a by-line, in the languages the desk receives (BCP 47 primary
# subtag). English joins apply whatever the item's language: agencies write them.
_JOINS = {
    "en": [r"\s+and\s+"],
    "fr": [r"\s+et\s+"],
    "de": [r"\s+und\s+"],
    "es": [r"\s+y\s+", r"\s+e\s+"],
    "it": [r"\s+e\s+", r"\s+ed\s+"],
    "pt": [r"\s+e\s+"],
    "nl": [r"\s+en\s+"],
    "sv": [r"\s+och\s+"],
    # Korean: 및 is a word; 와/과 ("and") end the first name, before a space.
    "ko": [r"\s+및\s+", r"(?<=[\uac00-\ud7a3])(?:와|과)\s+"],
}
_SEPARATORS = r"\s*(?:,|&|/|;|\+)\s*"
# "By Jane Doe": the word before the names, not part of them.
_BY = re.compile(r"^(?:by|par|von|por|di|door|av)\s+", re.IGNORECASE)
NAME_LIMIT = 100


def split_byline(text, language=""):
    """The people a by-line names: "Hannah Okafor and Lee Min-jun" is two people, split
    on "and", "&", ",", "/" and the item's language's own joins ("et", "und", "y",
    "및", "와"…)."""
    primary = str(language or "").split("-")[0].split("_")[0].lower()
    joins = _JOINS["en"] + (_JOINS.get(primary, []) if primary != "en" else [])
    pattern = re.compile("|".join([_SEPARATORS, *joins]), re.IGNORECASE)
    names = []
    for part in pattern.split(" ".join(str(text or "").split())):
        name = _BY.sub("", part.strip(" .")).strip()
        if name and name not in names:
            names.append(name[:NAME_LIMIT])
    return names


_AUTHOR_ROLES = {"author", "creator", "writer", "byline", "by", "reporter", "correspondent"}


def is_author_role(role):
    """A person's role (ninjs `rel`, G2 creator `role`) that makes them an author:
    "author", "writer"… alone, as a qcode ("crol:author") or a URI's last part."""
    last = re.split(r"[:/#]", str(role or "").strip().rstrip("/"))[-1]
    return last.lower() in _AUTHOR_ROLES


def picture_entry(uri="", caption="", credit="", rights="", renditions=()):
    """One picture of an item, as stored on the WireItem (WireItem.pictures)."""
    kept = []
    for rendition in renditions:
        href = str(rendition.get("href") or "").strip()
        if not href:
            continue
        kept.append(
            {
                "name": clean_text(rendition.get("name"), 100),
                "href": href[:2000],
                "contenttype": clean_text(rendition.get("contenttype"), 100),
                "width": _number(rendition.get("width")),
                "height": _number(rendition.get("height")),
                "size": _number(rendition.get("size")),
            }
        )
    return {
        "uri": clean_text(uri, 500),
        "caption": clean_text(caption, 300),
        "credit": clean_text(credit, 120),
        "rights": clean_text(rights, 300),
        "renditions": kept,
    }


def _number(value):
    try:
        number = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None
