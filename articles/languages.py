"""A story's language: a BCP 47 tag ("ko", "en-GB", "zh-Hant"), checked and written
in its canonical form with `langcodes` (the IANA registry, no data downloaded).

One form everywhere: the admin, the wire and the importer store `normalize(tag)`, so
pages compare tags as strings. Stories default to the site's language
(`settings.LANGUAGE_CODE`); pages, feeds and the news sitemap say each story's own.
"""

from functools import cache

import langcodes
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info

# RFC 5646 §4.4.1: 35 characters hold any tag a real system needs.
MAX_LENGTH = 35


def normalize(tag, default=None):
    """`tag` as a canonical BCP 47 tag ("en-gb" -> "en-GB", "en_GB" -> "en-GB", "iw" ->
    "he"); `default` when it is empty or not a valid tag (ValueError if no default)."""
    text = str(tag or "").strip()
    try:
        if text and len(text) <= MAX_LENGTH and langcodes.tag_is_valid(text):
            canonical = langcodes.standardize_tag(text)
            # A language is named ("und" and private-use-only "x-…" tags name none).
            language = langcodes.Language.get(canonical).language
            if (language or "").isalpha() and language != "und" and len(canonical) <= MAX_LENGTH:
                return canonical
    except (ValueError, LookupError):
        pass
    if default is None:
        raise ValueError(f"{text[:40]!r} is not a language tag")
    return default


def site_language():
    """The site's language as a canonical tag: every story's default."""
    return _canonical_site_language(settings.LANGUAGE_CODE)


@cache
def _canonical_site_language(code):
    return normalize(code, default="en")


def validate_language_tag(value):
    """The model's check: a canonical BCP 47 tag, as `normalize` writes it."""
    try:
        canonical = normalize(value)
    except ValueError:
        raise ValidationError(
            "“%(value)s” is not a language tag. Use a BCP 47 tag such as “en”, “en-GB” or “ko”.",
            params={"value": str(value)[:40]},
        ) from None
    if canonical != value:
        raise ValidationError(
            "Write the language tag as “%(canonical)s”.", params={"canonical": canonical}
        )


def _name(tag):
    try:
        info = get_language_info(tag.lower())
    except KeyError:
        return tag
    return f"{info['name']} ({tag})"


@cache
def _known_choices():
    # Django's own list of languages (names from its LANG_INFO), as canonical tags.
    tags = {normalize(code, default="") for code, _ in settings.LANGUAGES} - {""}
    return tuple(sorted(((tag, _name(tag)) for tag in tags), key=lambda pair: pair[1]))


def language_choices(*extra):
    """(tag, "Korean (ko)") for the admin's menu: Django's languages, the site's, and
    any tag in `extra` (a story's own, say "fr-CA" from the wire) not among them."""
    choices = list(_known_choices())
    known = {tag for tag, _ in choices}
    for tag in (site_language(), *extra):
        if tag and tag not in known:
            choices.append((tag, _name(tag)))
            known.add(tag)
    return choices


@cache
def news_language(tag):
    """The language as Google News wants it: the ISO 639 code ("ko", "en"), except
    Chinese, which is "zh-cn" (simplified) or "zh-tw" (traditional)."""
    language = langcodes.Language.get(normalize(tag, default=site_language()))
    if language.language != "zh":
        return language.language
    traditional = language.script == "Hant" or (
        language.script is None and language.territory in {"TW", "HK", "MO"}
    )
    return "zh-tw" if traditional else "zh-cn"
