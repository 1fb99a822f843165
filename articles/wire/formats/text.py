"""The newsroom's own plain-text format (articles/importing.py), as wire copy."""

from pathlib import PurePath

from articles.importing import ImportFormatError, body_html, make_dek, parse_story
from articles.sanitize import sanitize_body

from .common import WireCopy, WireFormatError


def parse(data, name):
    try:
        story = parse_story(data, name)
    except ImportFormatError as error:
        raise WireFormatError(error.message, error.line) from None
    # The file's name is its identity, as for the importer; a file carries no version.
    return WireCopy(
        guid=PurePath(name).stem[:200] or name[:200],
        version=1,
        headline=story.headline,
        body_html=sanitize_body(body_html(story.paragraphs)),
        dek=make_dek(story.paragraphs),
        related_headlines=list(story.related_headlines),
    )
