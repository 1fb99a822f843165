"""Searching public stories: one entry point, `search_stories`, two engines behind it.

- PostgreSQL: full-text search over `Story.search_vector` (headline A, dek B, body C;
  maintained by a trigger, GIN-indexed), web-search syntax (`"a phrase"`, `-word`,
  `or`), ranked with ts_rank, highlighted with ts_headline.
- SQLite (the embedded default): case-insensitive substring matching over headline,
  dek and body with the same query syntax, ranked by where the words matched.

Both rank by relevance, then newest first, and both give each result `headline_html`,
`dek_html` and `excerpt_html`: escaped text with the matched words in `<mark>`.

Readers type anything. The query is cleaned (control characters and NUL removed,
whitespace collapsed) and cut to `MAX_QUERY_LENGTH`; every value reaches the database
as a parameter, and a query without a single word character matches nothing without
asking the database.
"""

import html
import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connections, router
from django.db.models import Case, Count, F, Func, IntegerField, Q, QuerySet, Value, When
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from taggit.models import Tag

from .models import Story
from .photos.inline import CODE

# PostgreSQL text search configuration for the stored vector and every query; the
# trigger in migration 0002 must use the same one. 'english' because the newsroom
# writes in English (stemming finds "meetings" for "meeting", drops stop words), and
# its stemmer leaves Hangul words unchanged, so Korean words are indexed exactly as
# 'simple' would index them. Korean attaches particles to words (서울에서 "in Seoul"),
# which no built-in configuration splits, so Hangul query words match as prefixes
# (see `_HangulPrefixQuery`).
SEARCH_CONFIG = "english"

# Longer than any sensible query; bounds the work a hostile one can cause.
MAX_QUERY_LENGTH = 200
# Words (and alternatives per word) the SQLite fallback looks for.
MAX_FALLBACK_TERMS = 10

MAX_TAG_FACETS = 15
# Matches ranked, counted and faceted at most; more are reported as "more than".
MAX_RANKED = 1000
EXCERPT_LENGTH = 220  # characters, for the SQLite fallback
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_WORD = re.compile(r"\w")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')

# Private-use characters mark highlights inside database output; they are turned into
# <mark> only after everything else has been escaped.
_START, _STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{_START}(.*?){_STOP}", re.DOTALL)


def clean_query(raw) -> str:
    """The query as searched: no control characters, single spaces, at most 200 chars."""
    text = _CONTROL.sub(" ", str(raw or "")).replace(_START, " ").replace(_STOP, " ")
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


@dataclass(frozen=True)
class ParsedQuery:
    """A web-search style query: every clause must match, no excluded term may.

    A clause is a tuple of alternatives (`a or b`); a term is a word or a quoted phrase.
    Terms without a single letter or digit ("!!!", "-") are dropped, as PostgreSQL does.
    """

    clauses: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def terms(self):
        """The words and phrases to highlight, longest first."""
        found = {term for clause in self.clauses for term in clause}
        return sorted(found, key=lambda term: (-len(term), term))


def parse_query(text: str) -> ParsedQuery:
    """Parse a cleaned query the way PostgreSQL's websearch_to_tsquery reads it."""
    clauses, excluded = [], []
    join_next = False
    for match in _TOKEN.finditer(text):
        negated, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            if word.lower() == "or" and clauses:
                join_next = True
                continue
            negated, term = word.startswith("-"), word.lstrip("-")
        else:
            term = " ".join(phrase.split())
        if not _WORD.search(term):
            continue
        if negated:
            excluded.append(term)
        elif join_next:
            clauses[-1] = (*clauses[-1], term)
        else:
            clauses.append((term,))
        join_next = False
    return ParsedQuery(tuple(clauses), tuple(excluded))


def highlighted(text, terms) -> SafeString:
    """`text` escaped, with case-insensitive occurrences of `terms` in <mark>."""
    if not text:
        return mark_safe("")
    if not terms:
        return mark_safe(html.escape(text, quote=False))
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
    return _render_marked(pattern.sub(lambda m: f"{_START}{m.group()}{_STOP}", text), False)


def _render_marked(text, unescape) -> SafeString:
    """Escape text holding _START/_STOP markers and turn the markers into <mark>.

    `unescape` first decodes entities (database output taken from stored HTML), so the
    reader sees "&" rather than "&amp;" and nothing from the source can become markup.
    """
    parts = _MARKED.split(text)
    out = []
    for index, part in enumerate(parts):
        part = part.replace(_START, "").replace(_STOP, "")
        if unescape:
            part = html.unescape(part)
        part = html.escape(part, quote=False)
        out.append(f"<mark>{part}</mark>" if index % 2 and part else part)
    return mark_safe("".join(out))


def plain_text(body_html: str) -> str:
    """The reader-visible text of stored body HTML, on one line (a library photo's or
    gallery's code, "[photo 12]", is a figure to readers, not words)."""
    return " ".join(CODE.sub(" ", html.unescape(strip_tags(body_html or ""))).split())


def excerpt(text: str, terms, length=EXCERPT_LENGTH) -> str:
    """About `length` characters of `text` around the first term found (or its start)."""
    if len(text) <= length:
        return text
    start = 0
    if terms:
        pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)
        match = pattern.search(text)
        if match:
            start = max(0, match.start() - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = start + length
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + length // 2 else end
    return ("… " if start else "") + text[start:end].strip() + (" …" if end < len(text) else "")


@dataclass
class SearchResults:
    """What `search_stories` returns.

    `stories` is a lazy, ranked queryset (paginate it); `highlight(page)` decorates the
    stories of one page with `headline_html`, `dek_html` and `excerpt_html`;
    `tag_facets()` lists the tags of the matching stories, ignoring the tag filter.
    """

    query: str
    parsed: ParsedQuery
    stories: QuerySet
    engine: "_Engine" = field(repr=False)
    any_tag: QuerySet = field(repr=False)
    limit: int = MAX_RANKED

    def highlight(self, stories):
        """The stories of one page, each with its highlighted headline, dek and excerpt."""
        stories = list(stories)
        for story in stories:
            self.engine.decorate(story, self.parsed)
        return stories

    def tag_facets(self, limit=MAX_TAG_FACETS):
        """The tags most used by the matching stories (in any tag), with `story_count`.

        One query; none when there is nothing to search for.
        """
        if not self.parsed.clauses:
            return []
        # From the matches' tagging rows (object_id IN the newest matches' ids), not
        # through the story table: a join back to stories let PostgreSQL read that
        # table whole to find the matches again.
        return list(
            Tag.objects.filter(
                taggit_taggeditem_items__content_type=ContentType.objects.get_for_model(Story),
                taggit_taggeditem_items__object_id__in=_newest(self.any_tag),
            )
            .annotate(story_count=Count("taggit_taggeditem_items"))
            .order_by("-story_count", "name")[:limit]
        )


def search_stories(raw_query, *, section=None, tag=None) -> SearchResults:
    """Public stories matching `raw_query`, best match first, then newest first.

    `section` and `tag` are slugs that narrow the results (unknown slugs match
    nothing). Drafts and scheduled stories never match: the search starts from
    `Story.objects.published()`.
    """
    query = clean_query(raw_query)
    parsed = parse_query(query)
    vendor = connections[router.db_for_read(Story)].vendor
    engine = _PostgresEngine(query) if vendor == "postgresql" else _FallbackEngine()
    base = Story.objects.published()
    if section:
        base = base.filter(section__slug=str(section))
    # Nothing to look for ("", "!!!", only exclusions): no database query at all.
    any_tag = engine.filter(base, parsed) if parsed.clauses else base.none()
    matching = any_tag.filter(tags__slug=str(tag)) if tag else any_tag
    # Ranking reads every match's text: only the newest MAX_RANKED matches are ranked
    # (and counted, and faceted), whatever a common word matches in a large archive.
    ranked = Story.objects.filter(pk__in=_newest(matching))
    stories = engine.fetch(engine.rank(ranked, parsed).for_cards())
    return SearchResults(query, parsed, stories, engine, any_tag, limit=MAX_RANKED)


def _newest(queryset):
    """The ids of the newest MAX_RANKED stories of `queryset`, as a subquery."""
    return queryset.order_by("-published_at", "-pk").values("pk")[:MAX_RANKED]


class _Engine:
    def filter(self, queryset, parsed):  # pragma: no cover - interface
        raise NotImplementedError

    def rank(self, queryset, parsed):  # pragma: no cover - interface
        raise NotImplementedError

    def fetch(self, queryset):
        return queryset

    def decorate(self, story, parsed):  # pragma: no cover - interface
        raise NotImplementedError


class _HangulPrefixQuery(SearchQuery):
    """websearch_to_tsquery, with purely Hangul lexemes turned into prefix matches.

    The query is rewritten in its own text form, where lexemes are always quoted:
    `'서울' & !'북한'` becomes `'서울':* & !'북한':*`, so 서울 finds 서울에서 and 서울시.
    Only a whole quoted Hangul lexeme between operators is touched, so the result is
    always valid tsquery syntax.
    """

    HANGUL_LEXEME = r"(^|[ (!])'([가-힣ᄀ-ᇿㄱ-ㆎ]+)'(?=$|[ )])"

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = super().as_sql(compiler, connection, function, template)
        sql = f"regexp_replace(({sql})::text, %s, %s, 'g')::tsquery"
        return sql, [*params, self.HANGUL_LEXEME, r"\1'\2':*"]


class _StripTags(Func):
    """Body HTML as text for ts_headline, so an excerpt never cuts a tag in half; the
    codes of library photos and galleries ("[photo 12]") go too (figures to readers)."""

    function = "regexp_replace"
    template = (
        "regexp_replace(%(function)s(%(expressions)s, '<[^>]*>', ' ', 'g'), "
        "'\\[\\s*(photo|gallery)\\s*#?\\s*\\d+[^]]*\\]', ' ', 'gi')"
    )


class _PostgresEngine(_Engine):
    def __init__(self, query):
        self.query = _HangulPrefixQuery(query, search_type="websearch", config=SEARCH_CONFIG)

    def filter(self, queryset, parsed):
        return queryset.filter(search_vector=self.query)

    def rank(self, queryset, parsed):
        return queryset.annotate(rank=SearchRank(F("search_vector"), self.query)).order_by(
            "-rank", "-published_at", "-pk"
        )

    def fetch(self, queryset):
        # Computed in the page query, and (after the ORDER BY … LIMIT) only for the
        # stories on the page.
        marks = {"config": SEARCH_CONFIG, "start_sel": _START, "stop_sel": _STOP}
        return queryset.annotate(
            headline_marked=SearchHeadline("headline", self.query, highlight_all=True, **marks),
            dek_marked=SearchHeadline("dek", self.query, highlight_all=True, **marks),
            excerpt_marked=SearchHeadline(
                _StripTags("body"),
                self.query,
                max_words=40,
                min_words=20,
                max_fragments=2,
                fragment_delimiter=" … ",
                **marks,
            ),
        )

    def decorate(self, story, parsed):
        story.headline_html = _render_marked(story.headline_marked, unescape=False)
        story.dek_html = _render_marked(story.dek_marked, unescape=False)
        # Paragraph breaks of the stored HTML become spaces: the excerpt is one line.
        story.excerpt_html = _render_marked(" ".join(story.excerpt_marked.split()), unescape=True)


class _FallbackEngine(_Engine):
    """Substring matching for SQLite. LIKE folds ASCII case only; Hangul has none.

    Matching is on the stored body HTML, so a word that only occurs in markup (an
    attribute, a tag name) can match; the excerpt then shows the start of the story.
    """

    WEIGHTS = (("headline", 4), ("dek", 2), ("body", 1))

    @staticmethod
    def _anywhere(term):
        return Q(headline__icontains=term) | Q(dek__icontains=term) | Q(body__icontains=term)

    def _clauses(self, parsed):
        # A few LIKE conditions per word: keep the statement small whatever was typed.
        return [clause[:MAX_FALLBACK_TERMS] for clause in parsed.clauses[:MAX_FALLBACK_TERMS]]

    def filter(self, queryset, parsed):
        for clause in self._clauses(parsed):
            condition = Q()
            for term in clause:
                condition |= self._anywhere(term)
            queryset = queryset.filter(condition)
        for term in parsed.excluded[:MAX_FALLBACK_TERMS]:
            queryset = queryset.exclude(self._anywhere(term))
        return queryset

    def rank(self, queryset, parsed):
        score = Value(0)
        for clause in self._clauses(parsed):
            for term in clause:
                for field_name, weight in self.WEIGHTS:
                    score += Case(
                        When(**{f"{field_name}__icontains": term}, then=Value(weight)),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
        return queryset.annotate(rank=score).order_by("-rank", "-published_at", "-pk")

    def fetch(self, queryset):
        # for_cards() defers the body; excerpts need it, for the page's stories only.
        return queryset.defer(None).defer("search_vector")

    def decorate(self, story, parsed):
        terms = parsed.terms
        story.headline_html = highlighted(story.headline, terms)
        story.dek_html = highlighted(story.dek, terms)
        story.excerpt_html = highlighted(excerpt(plain_text(story.body), terms), terms)
