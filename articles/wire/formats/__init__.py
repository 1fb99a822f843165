"""Wire formats: each parser turns one agency file into one normalised `WireCopy`.

Parsers are pure (no database, no file system), so a bad item is rejected before
anything is written. Every parser caps the size it reads (`MAX_BYTES`) and stores a
body that has been through the site's one sanitiser (articles/sanitize.py).

- ``text``: the newsroom's own plain-text story format (articles/importing.py's parser,
  with its line-numbered errors).
- ``ninjs``: IPTC ninjs JSON, 1.x and 2.x, checked against the IPTC's published JSON
  Schemas (shipped in schemas/) before it is read.
- ``newsml``: an IPTC NewsML-G2 newsItem with an inline XHTML or NITF body, read with
  defusedxml's ElementTree (the IPTC's `newsmlg2` library pulls in lxml, which this
  project does not install): DTDs, entity declarations and external references are
  refused with a reason, so neither entity bombs nor external entities are expanded.
"""

from . import newsml, ninjs, text
from .common import (
    FORMATS,
    MAX_BYTES,
    USABLE,
    WITHDRAWN,
    WireCopy,
    WireFormatError,
    check_size,
    picture_entry,
)

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "USABLE",
    "WITHDRAWN",
    "WireCopy",
    "WireFormatError",
    "parse",
    "picture_entry",
]

PARSERS = {"text": text.parse, "ninjs": ninjs.parse, "newsml": newsml.parse}


def parse(format_name, data, name="item"):
    """Parse `data` (bytes) in `format_name`; raises WireFormatError."""
    if format_name not in PARSERS:
        raise WireFormatError(f"unknown format {format_name!r}")
    check_size(data)
    return PARSERS[format_name](data, name)
