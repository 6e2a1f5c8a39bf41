"""A paginator for tables too large to count: the audit trail.

Django's paginator counts every row the query matches (``COUNT(*)``), which at ten million audit records reads
the whole index. ``CappedPaginator`` counts at most ``cap`` rows (a ``LIMIT`` inside the count, so the database
stops early) and says "more than" beyond it; the pages past the cap are not offered (nobody pages through a
million records: they search).
"""

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    cap = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if not hasattr(object_list, "query"):
            return min(len(object_list), self.cap)
        # COUNT over a sliced query: SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1).
        return object_list.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        pages = super().num_pages
        return min(pages, max(1, -(-self.cap // self.per_page)))

