"""Keyset pagination: "older stories" pages that cost the same at any depth.

A list page never counts its list: COUNT(*) reads every matching row (a hundred
thousand on the archive), and `OFFSET n` walks past n of them. Instead each page after
the first is addressed by a cursor, the (publication time, id) of the story just above
it: `?before=20261129T100000.123456Z-1234` lists the stories published before that
one, newest first. The page reads per_page + 1 rows from the index (the extra one says
whether there is an older page), and, below the first page, per_page + 1 rows the other
way (whether the newer page is the first one, or else where it starts). Both are index
range scans of a few rows whatever the depth.

Such an address shows the same stories until one of them changes, however many are
published meanwhile: stable links for readers and crawlers, and pages that stay cached.
The former `?page=N` links still work: they redirect (301) to their cursor.
"""

import re
from datetime import UTC, datetime
from typing import NamedTuple

from django.db.models import Q

CURSOR_FORMAT = "%Y%m%dT%H%M%S"
_CURSOR = re.compile(r"(\d{8}T\d{6})(?:\.(\d{6}))?Z-(\d{1,18})")


class Cursor(NamedTuple):
    """A position in the newest-first order of stories: (published_at, pk)."""

    published_at: datetime
    pk: int

    def __str__(self):
        when = self.published_at.astimezone(UTC)
        text = when.strftime(CURSOR_FORMAT)
        if when.microsecond:
            text += f".{when.microsecond:06d}"
        return f"{text}Z-{self.pk}"

    @classmethod
    def parse(cls, value):
        """The cursor written by `str()`, or None for anything else."""
        match = _CURSOR.fullmatch(value or "")
        if match is None:
            return None
        seconds, micros, pk = match.groups()
        try:
            when = datetime.strptime(seconds, CURSOR_FORMAT).replace(
                microsecond=int(micros or 0), tzinfo=UTC
            )
        except ValueError:
            return None
        return cls(when, int(pk))

    def older(self):
        """A filter: stories after this one in newest-first order.

        `published_at <= t` alone is what the (…, -published_at, -id) indexes range
        over; the exclusion then drops the ties at t that are not older.
        """
        return Q(published_at__lte=self.published_at) & ~Q(
            published_at=self.published_at, pk__gte=self.pk
        )

    def newer(self):
        """A filter: stories before this one in newest-first order."""
        return Q(published_at__gte=self.published_at) & ~Q(
            published_at=self.published_at, pk__lte=self.pk
        )


class KeysetPage:
    """One page of a newest-first list: its story ids and the links around it.

    `before` is the cursor the page starts below (None: the first page). Quacks like
    Django's Page where templates and metadata ask (`number`, `has_next`, …), but has
    no page count: nothing counts the list.
    """

    def __init__(self, queryset, per_page, before=None):
        """`queryset`: the list's stories (any order; newest first is imposed)."""
        self.before = before
        newest_first = queryset.order_by("-published_at", "-pk")
        if before is not None:
            newest_first = newest_first.filter(before.older())
        rows = list(newest_first.values_list("published_at", "pk")[: per_page + 1])
        self.has_next = len(rows) > per_page
        rows = rows[:per_page]
        self.object_list = [pk for _, pk in rows]
        self.next_cursor = Cursor(*rows[-1]) if self.has_next else None
        self.previous_cursor = None
        self.has_previous = before is not None
        if before is not None and rows:
            # The newer page lists the per_page stories above this page's first; it
            # starts below the one above those, or is the first page if there is none.
            above = (
                queryset.filter(Cursor(*rows[0]).newer())
                .order_by("published_at", "pk")
                .values_list("published_at", "pk")[per_page : per_page + 1]
            )
            row = next(iter(above), None)
            self.previous_cursor = Cursor(*row) if row else None

    @property
    def number(self):
        """1 on the first page, 2 on any later one (the depth is not counted)."""
        return 1 if self.before is None else 2

    def has_other_pages(self):
        return self.has_next or self.has_previous

    def __len__(self):
        return len(self.object_list)

    def __iter__(self):
        return iter(self.object_list)

    @property
    def query(self):
        """This page's query string ("" on the first page): for its canonical URL."""
        return f"before={self.before}" if self.before is not None else ""

    @property
    def next_query(self):
        return f"?before={self.next_cursor}" if self.next_cursor else ""

    @property
    def previous_query(self):
        """ "?before=…", or "" for the list's first page (its bare path)."""
        return f"?before={self.previous_cursor}" if self.previous_cursor else ""


def cursor_for_page_number(queryset, per_page, number):
    """The cursor of a former `?page=N` address (N > 1), or None past the end.

    An OFFSET over the index, so it grows with N: only old links come here, each once
    (the redirect is cached like any page).
    """
    start = (number - 1) * per_page - 1
    rows = list(
        queryset.order_by("-published_at", "-pk").values_list("published_at", "pk")[
            start : start + 2
        ]
    )
    # The last story of page N - 1, when page N has a story at all.
    return Cursor(*rows[0]) if len(rows) == 2 else None
