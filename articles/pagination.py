"""Pagination that stays cheap on the last pages of a long list."""

from django.core.paginator import Paginator


class NewestFirstPaginator(Paginator):
    """A Paginator that reads the back half of a list from its other end.

    `OFFSET n` makes the database walk past n rows, so page 8,000 of the archive
    would read almost the whole table. For pages past the middle this paginator
    reverses the queryset's (total) ordering and takes a small offset from the end
    instead, then puts the page back in order. The deepest page is then as cheap as
    the first.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        object_list = self.object_list
        if bottom > self.count // 2 and getattr(object_list, "ordered", False):
            from_end = object_list.reverse()[self.count - top : self.count - bottom]
            return self._get_page(list(from_end)[::-1], number, self)
        return self._get_page(object_list[bottom:top], number, self)
