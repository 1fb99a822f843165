"""Wire formats: each parser turns one agency file into one normalised `WireCopy`.

Parsers are pure (no database, no file system), so a bad item is rejected before
anything is written. Every parser caps the size it reads (`MAX_BYTES`) and stores a
body that has been through the site's one sanitiser (articles/sanitize.py).

- ``text``: the newsroom's own plain-text story format (articles/importing.py's parser,
  with its line-numbered errors).
- ``ninjs``: IPTC ninjs JSON, 1.x and 2.x.
- ``newsml``: an IPTC NewsML-G2 newsItem with an inline XHTML or NITF body, read with
  defusedxml's ElementTree (the IPTC's `newsmlg2` library pulls in lxml, which this
  project does not install): DTDs, entity declarations and external references are
  refused with a reason, so neither entity bombs nor external entities are expanded.
"""

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


def parse(format_name, data, name="item"):
    """Parse `data` (bytes) in `format_name`; raises WireFormatError."""
    from . import newsml, ninjs, text

    parsers = {"text": text.parse, "ninjs": ninjs.parse, "newsml": newsml.parse}
    if format_name not in parsers:
        raise WireFormatError(f"unknown format {format_name!r}")
    check_size(data)
    return parsers[format_name](data, name)
