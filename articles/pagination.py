"""Pagination that stays cheap on the last pages of a long list."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .cache import fragments


class NewestFirstPaginator(Paginator):
    """A Paginator that reads the back half of a list from its other end.

    `OFFSET n` makes the database walk past n rows, so page 8,000 of the archive
    would read almost the whole table. For pages past the middle this paginator
    reverses the queryset's (total) ordering and takes a small offset from the end
    instead, then puts the page back in order. The deepest page is then as cheap as
    the first.

    With `count_key` (naming the list, whose cache tag is `list:<count_key>`), the
    list's length and each page's items are kept until the list changes rather than
    read on every request: COUNT(*) reads every matching row, a hundred thousand on the
    archive. A caller that knows the length already passes `known_count`.
    """

    def __init__(self, object_list, per_page, *args, count_key=None, known_count=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.count_key, self.known_count = count_key, known_count

    @cached_property
    def count(self):
        if self.known_count is not None:
            return self.known_count
        if self.count_key is None:
            return Paginator.count.func(self)
        return fragments.get_or_set(
            f"count:{self.count_key}",
            lambda: self.object_list.count(),
            {f"list:{self.count_key}"},
        )

    def page(self, number):
        number = self.validate_number(number)
        if self.count_key is None:
            return self._get_page(self.page_items(number), number, self)
        # Which items are on page N changes only with the list: kept as long too.
        items = fragments.get_or_set(
            f"page:{self.count_key}:{self.per_page}:{number}",
            lambda: list(self.page_items(number)),
            {f"list:{self.count_key}"},
        )
        return self._get_page(items, number, self)

    def page_items(self, number):
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        object_list = self.object_list
        if bottom > self.count // 2 and getattr(object_list, "ordered", False):
            from_end = object_list.reverse()[self.count - top : self.count - bottom]
            return list(from_end)[::-1]
        return object_list[bottom:top]


class DeferredQuerySet:
    """A queryset built only when something asks the database.

    A list view hands this to its paginator: when the list's length and the page's
    items are already kept (until the list changes), the queryset (whose filters cost
    more to build than the cached answers cost to read) is never built at all.
    """

    ordered = True  # the stories' default ordering is total (-published_at, -pk)

    def __init__(self, build):
        self._build = build
        self._queryset = None

    @property
    def queryset(self):
        if self._queryset is None:
            self._queryset = self._build()
        return self._queryset

    def count(self):
        return self.queryset.count()

    def reverse(self):
        return self.queryset.reverse()

    def __getitem__(self, key):
        return self.queryset[key]

    def __iter__(self):
        return iter(self.queryset)

    def __len__(self):
        return len(self.queryset)
