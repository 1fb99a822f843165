"""Importing stories from plain-text files.

A story file is UTF-8 text (with or without a byte-order mark, any line endings)::

    - A related headline
    - Another related headline
    The story's headline
    First paragraph.

    Second paragraph.

Leading lines that start with ``- `` are related headlines, the next non-empty line is
the headline, and every following non-empty line is a paragraph. A photo beside the
file with the same name (``story.txt`` and ``story.jpg``, or .png, .webp, .gif, .avif)
becomes the story's lead photo, checked as strictly as an upload in the admin.

Two layers: `parse_story` turns bytes into a `ParsedStory` without touching the
database, and `import_stories` checks every file first and then writes them all in
one transaction, so a bad file in a batch of a thousand leaves the database as it was.
A story's identity is its file name without the extension (`Story.import_key`):
importing the same file again updates the story instead of adding a second one.
"""

import html
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Lower, Replace
from django.utils import timezone

from . import images
from .cache import purge_everything
from .history import record_story_revisions, stories_for_revisions
from .languages import normalize, site_language
from .models import (
    HEADLINE_MAX_LENGTH,
    Author,
    RelatedHeadline,
    Section,
    Story,
    StoryAuthor,
    unique_slug,
)
from .photos import fingerprints
from .photos.models import Photo
from .related import batched_related
from .related_headlines import TYPOGRAPHIC_QUOTES, headline_key

# Limits that keep a hostile or mistaken file (a disk image, a log, a file with no line
# breaks) from becoming a story. A long news story is tens of kilobytes.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PARAGRAPH_LENGTH = 20_000
MAX_RELATED_HEADLINES = 50
DEK_MAX_LENGTH = Story._meta.get_field("dek").max_length
IMPORT_KEY_MAX_LENGTH = Story._meta.get_field("import_key").max_length
AUTHOR_NAME_MAX_LENGTH = Author._meta.get_field("name").max_length
DEFAULT_SECTION_NAME = "News"

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Control characters have no place in news copy and are not allowed in the XML of
# feeds and sitemaps; tab is the one that turns up legitimately.
_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_RELATED_MARKER = re.compile(r"-(\s|$)")


class StoryImportError(Exception):
    """Base class for everything that stops an import."""


class ImportFormatError(StoryImportError):
    """One file that cannot be imported, and where the problem is.

    `line` is 1-based; it is None for problems with the file as a whole (a directory,
    a file that cannot be read).
    """

    def __init__(self, name, line, message):
        self.name, self.line, self.message = name, line, message
        super().__init__(str(self))

    def __str__(self):
        if self.line is None:
            return f"{self.name}: {self.message}"
        return f"{self.name}, line {self.line}: {self.message}"


class ImportFailed(StoryImportError):
    """Some files of a batch are invalid; nothing was written. `errors` lists them all."""

    def __init__(self, errors: Sequence[ImportFormatError]):
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self):
        count = len(self.errors)
        lines = [f"{count} file{'s' if count != 1 else ''} could not be imported:"]
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines)


@dataclass(frozen=True)
class ParsedStory:
    related_headlines: list[str]
    headline: str
    paragraphs: list[str]


# --------------------------------------------------------------------------- parsing


def _line_of_offset(data: bytes, offset: int) -> int:
    """The 1-based line holding byte `offset`, counting \\n, \\r\\n and \\r as breaks."""
    before = data[:offset]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def _decode(data: bytes, name: str) -> str:
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    elif data.startswith(_UTF16_BOMS):
        raise ImportFormatError(name, 1, "is UTF-16, not UTF-8; save the file as UTF-8")
    # NUL is valid UTF-8 but means a binary (or BOM-less UTF-16) file; report whichever
    # problem comes first in the file.
    nul = data.find(b"\x00")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if 0 <= nul < exc.start:
            raise ImportFormatError(
                name, _line_of_offset(data, nul), "contains NUL bytes (is it a binary file?)"
            ) from None
        raise ImportFormatError(
            name,
            _line_of_offset(data, exc.start),
            f"not valid UTF-8 (byte 0x{data[exc.start]:02X}); save the file as UTF-8",
        ) from None
    if nul >= 0:
        raise ImportFormatError(
            name, _line_of_offset(data, nul), "contains NUL bytes (is it a binary file?)"
        )
    return text


def parse_story(data: bytes, name: str) -> ParsedStory:
    """Parse one story file. Pure: no database, no file system.

    Raises `ImportFormatError` naming `name` and the line of the first problem.
    Text is normalised to Unicode NFC (so Korean typed on a Mac matches the same
    Korean typed elsewhere); otherwise every character is kept as written.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportFormatError(
            name, None, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not a story file"
        )
    text = _decode(data, name)
    if not text.strip():
        raise ImportFormatError(name, 1, "the file is empty")

    related: list[str] = []
    headline = None
    paragraphs: list[str] = []
    last_related_line = 0
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        bad = _CONTROL_CHAR.search(raw)
        if bad:
            raise ImportFormatError(
                name,
                number,
                f"contains the control character U+{ord(bad.group()):04X} "
                f"at column {bad.start() + 1}",
            )
        line = unicodedata.normalize("NFC", raw.strip())
        if not line:
            continue
        if headline is None and _RELATED_MARKER.match(line):
            item = line[1:].strip()
            if not item:
                raise ImportFormatError(name, number, "a related headline line is empty")
            if len(item) > HEADLINE_MAX_LENGTH:
                raise ImportFormatError(
                    name,
                    number,
                    f"related headline is {len(item)} characters long; "
                    f"the limit is {HEADLINE_MAX_LENGTH}",
                )
            if len(related) == MAX_RELATED_HEADLINES:
                raise ImportFormatError(
                    name, number, f"more than {MAX_RELATED_HEADLINES} related headlines"
                )
            related.append(item)
            last_related_line = number
        elif headline is None:
            if len(line) > HEADLINE_MAX_LENGTH:
                raise ImportFormatError(
                    name,
                    number,
                    f"headline is {len(line)} characters long; the limit is {HEADLINE_MAX_LENGTH}",
                )
            headline = line
        else:
            if len(line) > MAX_PARAGRAPH_LENGTH:
                raise ImportFormatError(
                    name,
                    number,
                    f"paragraph is {len(line)} characters long; "
                    f"the limit is {MAX_PARAGRAPH_LENGTH}",
                )
            paragraphs.append(line)
    if headline is None:
        raise ImportFormatError(
            name,
            last_related_line + 1,
            "no headline: expected a headline after the related headlines ('- ' lines)",
        )
    return ParsedStory(related_headlines=related, headline=headline, paragraphs=paragraphs)


# ------------------------------------------------------------------ story text helpers


def body_html(paragraphs: Iterable[str]) -> str:
    """Paragraphs as HTML; the text is escaped, so markup in a file stays text."""
    return "\n".join(f"<p>{html.escape(paragraph, quote=False)}</p>" for paragraph in paragraphs)


# Words that end with a full stop without ending a sentence ("Gen. Kim", "Oct. 3").
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "cmdr", "adm",
    "sgt", "cpl", "pvt", "rep", "sen", "gov", "pres", "amb", "st", "mt", "ft", "jr", "sr",
    "inc", "corp", "co", "ltd", "no", "nos", "vs", "etc", "approx", "dept", "est", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?]['\"\u2019\u201d)\]]*(?=\s|$)")


def _ends_sentence(text: str, match: re.Match) -> bool:
    if text[match.start()] != ".":
        return True
    word = text[: match.start()].rsplit(None, 1)[-1] if text[: match.start()].strip() else ""
    word = word.lstrip("\"'(\u2018\u201c[")
    # Initials and dotted abbreviations: "S. Korea", "U.S. officials", "a.m."
    if len(word) == 1 or "." in word:
        return False
    return word.lower() not in _ABBREVIATIONS


def first_sentence(text: str) -> str:
    for match in _SENTENCE_END.finditer(text):
        if _ends_sentence(text, match):
            return text[: match.end()].strip()
    return text.strip()


def truncate_words(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-\u2013\u2014") + "\u2026"


def make_dek(paragraphs: Sequence[str]) -> str:
    """A one-sentence summary: the first sentence of the first paragraph.

    None ("") when that sentence is the whole first paragraph, as in much wire copy:
    the page would show the same text twice, as dek and as the paragraph below it.
    """
    if not paragraphs:
        return ""
    sentence = first_sentence(paragraphs[0])
    if " ".join(sentence.split()) == " ".join(paragraphs[0].split()):
        return ""
    return truncate_words(sentence, DEK_MAX_LENGTH)


_ASCII_LOWER = str.maketrans({chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)})


def _coarse_keys(text: str) -> set[str]:
    """Values of `_coarse_headline_expression` a story with headline `text` could have.

    The database lowercases (SQLite only ASCII, PostgreSQL all of Unicode) and drops
    spaces; the exact comparison happens in Python afterwards.
    """
    text = unicodedata.normalize("NFC", text).translate(TYPOGRAPHIC_QUOTES)
    text = "".join(text.split())
    return {text.lower(), text.translate(_ASCII_LOWER)}


def _coarse_headline_expression():
    expression = F("headline")
    for typographic, straight in TYPOGRAPHIC_QUOTES.items():
        expression = Replace(expression, Value(chr(typographic)), Value(straight))
    for space in (" ", "\u00a0"):
        expression = Replace(expression, Value(space), Value(""))
    return Lower(expression)


def find_stories_by_headline(headlines: Iterable[str]) -> dict[str, Story]:
    """Map `headline_key` → the story with that headline, in a query per 500 headlines.

    When several stories share a headline, a published one wins, then the newest.
    """
    coarse = sorted({key for text in headlines for key in _coarse_keys(text)})
    found: dict[str, Story] = {}
    for start in range(0, len(coarse), 500):
        candidates = (
            Story.objects.annotate(_headline_coarse=_coarse_headline_expression())
            .filter(_headline_coarse__in=coarse[start : start + 500])
            .only("pk", "headline", "slug", "status", "published_at")
        )
        for story in candidates:
            key = headline_key(story.headline)
            if key not in found or _preference(story) > _preference(found[key]):
                found[key] = story
    return found


def _preference(story):
    published = story.status == Story.Status.PUBLISHED
    return (published, story.published_at or datetime.min.replace(tzinfo=UTC), story.pk)


# --------------------------------------------------------------------------- files


def display_name(path) -> str:
    """A path as text that is safe to print, whatever bytes its name contains."""
    text = os.fspath(path)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL_CHAR.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def find_story_files(paths: Iterable) -> list[Path]:
    """Expand directories into the `.txt` files under them, sorted; keep other paths.

    Hidden files and folders are skipped (macOS writes binary `._name.txt` companions).
    Paths that do not exist are passed on so the import reports them with the rest.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            found.append(path)
            continue
        for directory, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found.extend(
                Path(directory) / filename
                for filename in sorted(filenames)
                if filename.lower().endswith(".txt") and not filename.startswith(".")
            )
    return found


def read_story_file(path: Path, name: str) -> bytes:
    """The bytes of a regular file of sane size, or an `ImportFormatError`."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ImportFormatError(name, None, "is a directory, not a story file")
        if not stat.S_ISREG(info.st_mode):
            # Devices and pipes could block forever or never end.
            raise ImportFormatError(name, None, "is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ImportFormatError(
                name, None, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not a story file"
            )
        with path.open("rb") as handle:
            # Read one byte past the limit in case the file grew since stat().
            return handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImportFormatError(name, None, "no such file") from None
    except OSError as exc:
        raise ImportFormatError(name, None, f"cannot be read: {exc.strerror or exc}") from None


def import_key_for(path: Path, name: str) -> str:
    key = path.stem
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise ImportFormatError(name, None, "the file name is not valid UTF-8") from None
    if not key.strip():
        raise ImportFormatError(name, None, "the file name is empty")
    if len(key) > IMPORT_KEY_MAX_LENGTH:
        raise ImportFormatError(
            name, None, f"the file name is longer than {IMPORT_KEY_MAX_LENGTH} characters"
        )
    return key


# --------------------------------------------------------------------------- writing


@dataclass
class _Planned:
    path: Path
    name: str
    key: str
    parsed: ParsedStory
    photo: Path | None = None  # a checked lead photo beside the story file
    photo_extension: str = ""


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")


def companion_photo(path: Path) -> Path | None:
    """The photo beside a story file, named like it (`story.txt` → `story.jpg`, …)."""
    for suffix in PHOTO_SUFFIXES:
        for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    return None


def _check_photo(item: _Planned) -> None:
    """Check the story's companion photo as the admin would; ImportFormatError if bad."""
    photo = companion_photo(item.path)
    if photo is None:
        return
    name = display_name(photo)
    try:
        with photo.open("rb") as handle:
            info = images.validate_photo(File(handle, name=photo.name))
    except ValidationError as error:
        raise ImportFormatError(name, None, " ".join(error.messages)) from None
    except OSError as exc:
        raise ImportFormatError(name, None, f"cannot be read: {exc.strerror or exc}") from None
    item.photo, item.photo_extension = photo, info.extension


def _check_files(paths) -> list[_Planned]:
    planned: list[_Planned] = []
    errors: list[ImportFormatError] = []
    by_key: dict[str, _Planned] = {}
    seen_files: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        name = display_name(path)
        try:
            try:
                resolved = path.resolve()
            except (OSError, RuntimeError):  # A symlink loop; reading reports it.
                resolved = path.absolute()
            if resolved in seen_files:
                continue  # The same file named twice is imported once.
            seen_files.add(resolved)
            key = import_key_for(path, name)
            if key in by_key:
                raise ImportFormatError(
                    name,
                    None,
                    f"has the same name as {by_key[key].name}; each story file needs "
                    "a unique name, which identifies the story",
                )
            parsed = parse_story(read_story_file(path, name), name)
            item = _Planned(path, name, key, parsed)
            _check_photo(item)
        except ImportFormatError as error:
            errors.append(error)
            continue
        by_key[key] = item
        planned.append(item)
    if errors:
        raise ImportFailed(errors)
    return planned


def _clean_names(names, what, max_length) -> list[str]:
    cleaned = []
    for name in names:
        name = " ".join(str(name).split())
        if not name or name in cleaned:
            continue
        if len(name) > max_length:
            raise StoryImportError(f"{what} {name!r} is longer than {max_length} characters.")
        cleaned.append(name)
    return cleaned


def _resolve_section(section) -> Section:
    if isinstance(section, Section):
        return section
    text = str(section or "").strip() or DEFAULT_SECTION_NAME
    found = (
        Section.objects.filter(slug=text).first()
        or Section.objects.filter(name__iexact=text).first()
    )
    if found is None and text.lower() == DEFAULT_SECTION_NAME.lower():
        found = Section.objects.create(
            name=DEFAULT_SECTION_NAME,
            slug=unique_slug(Section, DEFAULT_SECTION_NAME, max_length=80),
        )
    if found is None:
        # A typo must not quietly create a section on the public navigation.
        known = ", ".join(Section.objects.values_list("slug", flat=True)) or "none yet"
        raise StoryImportError(f"No section {text!r}. Known sections: {known}.")
    return found


def _resolve_authors(names: list[str]) -> list[Author]:
    existing = {}
    for author in Author.objects.filter(name__in=names).order_by("pk"):
        existing.setdefault(author.name, author)
    authors = []
    for name in names:
        author = existing.get(name)
        if author is None:
            author = Author.objects.create(
                name=name, slug=unique_slug(Author, name, max_length=120)
            )
        authors.append(author)
    return authors


def _resolve_tags(names: list[str]):
    """Tag objects for `names`, created when missing (a handful of queries per import)."""
    tag_model = Story.tags.through.tag_model()
    lookup = "name__iexact" if getattr(settings, "TAGGIT_CASE_INSENSITIVE", False) else "name"
    return [
        tag_model.objects.filter(**{lookup: name}).first() or tag_model.objects.create(name=name)
        for name in names
    ]


ProgressCallback = Callable[[int, int, str, Story, bool], None]


def import_stories(
    paths: Iterable,
    *,
    section=None,
    tags: Iterable[str] = (),
    authors: Iterable[str] = (),
    status: str | None = None,
    published_at: datetime | None = None,
    language: str | None = None,
    progress: ProgressCallback | None = None,
) -> list[tuple[Story, bool]]:
    """Import story files; return `(story, created)` pairs in the order of `paths`.

    Every file is read and checked before anything is written; if any is invalid,
    `ImportFailed` lists them all and the database is untouched. Otherwise all stories
    are written in one transaction.

    A file updates the story imported from a file of the same name before: headline,
    dek, body and related headlines are replaced and the address is kept. Section,
    tags, authors, status and publication time apply to new stories, and to updated
    ones only when given, so re-importing corrected copy keeps editors' changes.
    `language` (a BCP 47 tag, "ko") is the files' language, applied the same way; new
    stories default to the site's. New stories default to the section "News" and to
    draft; a published story gets the current time unless `published_at` says
    otherwise (naive times are in the site's time zone).

    `progress(done, total, name, story, created)` is called after each story.
    """
    if status is not None and status not in Story.Status.values:
        raise StoryImportError(
            f"Unknown status {status!r}; use one of: {', '.join(Story.Status.values)}."
        )
    if language is not None:
        try:
            language = normalize(language)
        except ValueError:
            raise StoryImportError(
                f"{language!r} is not a language tag; use one such as en, en-GB or ko."
            ) from None
    if published_at is not None and timezone.is_naive(published_at):
        published_at = timezone.make_aware(published_at)
    tag_names = _clean_names(tags, "Tag", 100)
    author_names = _clean_names(authors, "Author name", AUTHOR_NAME_MAX_LENGTH)

    if isinstance(paths, str | os.PathLike):
        paths = [paths]  # One path, not an iterable of characters.
    planned = _check_files(paths)
    if not planned:
        return []

    now = timezone.now()
    results: list[tuple[Story, bool]] = []
    photos_written: list[str] = []  # originals this import stored
    try:
        # Related stories are ranked once for the whole import, before it commits.
        with transaction.atomic(), batched_related():
            existing = Story.objects.in_bulk(
                [item.key for item in planned], field_name="import_key"
            )
            needs_section = section is not None or len(existing) < len(planned)
            section_obj = _resolve_section(section) if needs_section else None
            author_objs = _resolve_authors(author_names)
            tag_objs = _resolve_tags(tag_names)

            for done, item in enumerate(planned, start=1):
                story = existing.get(item.key)
                created = story is None
                if created:
                    story = Story(
                        import_key=item.key,
                        section=section_obj,
                        status=status or Story.Status.DRAFT,
                        published_at=published_at,
                        language=language or site_language(),
                    )
                else:
                    if section is not None:
                        story.section = section_obj
                    if status is not None:
                        story.status = status
                    if published_at is not None:
                        story.published_at = published_at
                    if language is not None:
                        story.language = language
                if story.status == Story.Status.PUBLISHED and story.published_at is None:
                    story.published_at = now
                story.headline = item.parsed.headline
                story.dek = make_dek(item.parsed.paragraphs)
                story.body = body_html(item.parsed.paragraphs)
                # Not an admin save: a form opened before this import names no editor.
                story.last_edited_by = None
                if item.photo:
                    story.lead_photo = _library_photo(item, photos_written)
                story.save()
                if tag_objs:
                    story.tags.set(tag_objs)
                results.append((story, created))
                if progress:
                    progress(done, len(planned), item.name, story, created)

            updated_ids = [story.pk for story, created in results if not created]
            if author_objs:
                StoryAuthor.objects.filter(story_id__in=updated_ids).delete()
                StoryAuthor.objects.bulk_create(
                    StoryAuthor(story=story, author=author, order=order)
                    for story, _ in results
                    for order, author in enumerate(author_objs)
                )
            _replace_related_headlines(planned, results, updated_ids)
            # One revision per story (see articles/history.py), taken now that bylines
            # and related headlines are written too.
            record_story_revisions(
                stories_for_revisions([story.pk for story, _ in results]),
                comment="Imported from a text file.",
            )
            # Bylines and related headlines were bulk-created, which sends no signals;
            # an import is rare and may touch any list: everything is purged.
            purge_everything()
    except BaseException:
        # Nothing reached the database: the photo files written for it go too.
        for name in photos_written:
            images.delete_files(name, None)
        raise
    return results


def _library_photo(item, photos_written):
    """The photo beside a story file, as a library Photo: the one already there if the
    file is (re-importing keeps one photo), else a new one, its renditions made in the
    background."""
    with item.photo.open("rb") as handle:
        existing = Photo.objects.filter(sha256=fingerprints.sha256_of(handle)).first()
        if existing is not None:
            return existing
        photo = Photo(original=File(handle, name=f"{item.key[:80]}.{item.photo_extension}"))
        photo.save()
    photos_written.append(photo.original.name)
    return photo


def _replace_related_headlines(planned, results, updated_ids):
    """Write every story's related headlines, linking those that name a known story.

    Runs after all stories are saved, so files of one batch can link each other.
    """
    RelatedHeadline.objects.filter(story_id__in=updated_ids).delete()
    targets = find_stories_by_headline(
        text for item in planned for text in item.parsed.related_headlines
    )
    rows = []
    for item, (story, _) in zip(planned, results, strict=True):
        for order, text in enumerate(item.parsed.related_headlines):
            target = targets.get(headline_key(text))
            rows.append(
                RelatedHeadline(
                    story=story,
                    headline=text,
                    target=target if target is not None and target.pk != story.pk else None,
                    order=order,
                )
            )
    RelatedHeadline.objects.bulk_create(rows, batch_size=500)
