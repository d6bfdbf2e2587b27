"""The pure paging engine that drives every provider's list API.

``PagePlan`` (no I/O) decides which pages an export needs, whether a page is short or repeats the one
before, and when the export is certainly complete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bulkcontacts.providers.base import ListApi, PageResult


class PagingError(Exception):
    """The pages do not add up: a short or empty page before the end, a repeated page, too many pages."""


@dataclass
class PagePlan:
    """Which pages an export needs and when it is complete. Built fresh per run from the checkpoint."""

    page_size: int | None  # None: unknown (then only "not empty" is expected of a page before the last)
    max_pages: int
    total_pages: int | None = None  # known when the provider tells a total
    total_records: int | None = None
    last_page: int | None = None  # known when the provider's stop rule fired (no total)

    @property
    def knows_total(self) -> bool:
        return self.total_pages is not None

    def learn(self, index: int, page: PageResult, api: ListApi) -> None:
        """Take in what page ``index`` says about the whole; raise ``PagingError`` when it cannot be right."""
        if page.total_records is not None and self.total_records is None:
            self.total_records = page.total_records
        if self.total_pages is None:
            if page.total_pages is not None:
                self.total_pages = page.total_pages
            elif page.total_records is not None and self.page_size is not None:
                self.total_pages = math.ceil(page.total_records / self.page_size)
        if self.total_pages is not None and self.total_pages > self.max_pages:
            raise PagingError(
                f"the provider reports {self.total_pages:,} pages, over the safety cap of "
                f"{self.max_pages:,} ([source] max_pages)"
            )
        if self.total_pages is None and api.is_last(index, page):
            self.last_page = index if self.last_page is None else min(self.last_page, index)
        if self.total_pages is None and self.last_page is None and index + 1 >= self.max_pages:
            raise PagingError(f"no last page after {self.max_pages:,} pages (the safety cap, [source] max_pages)")

    def expected_records(self, index: int) -> int | None:
        """How many records page ``index`` must hold at least, when the provider told a total."""
        if self.total_pages is None:
            return None
        if self.total_pages == 0:
            return 0  # an empty list: the one page asked for is rightly empty
        if index < self.total_pages - 1:
            return self.page_size or 1
        if self.total_records is None or self.page_size is None:
            return 1  # only a page count: the last page still holds something
        return max(0, self.total_records - (self.total_pages - 1) * self.page_size)

    def shortfall(self, index: int, page: PageResult) -> str | None:
        """Why page ``index`` cannot be right for a provider that told a total, or None."""
        expected = self.expected_records(index)
        if expected is not None and len(page.records) < expected:
            total = f" (the provider's total is {self.total_records:,})" if self.total_records is not None else ""
            least = "" if expected == self.page_size or self.total_records is not None else "at least "
            return (
                f"page {index + 1} of {self.total_pages} has {len(page.records)} records, "
                f"expected {least}{expected}{total}"
            )
        return None

    def pages_known(self) -> int | None:
        """How many pages the export has, once that is certain."""
        if self.total_pages is not None:
            return self.total_pages
        return None if self.last_page is None else self.last_page + 1

    def complete(self, done: Any) -> bool:
        count = self.pages_known()
        return count is not None and all(done.is_done(index) for index in range(count))


def signature(records: list[dict[str, Any]], id_field: str) -> tuple[int, Any, Any] | None:
    """What identifies a page's content cheaply: its size and its first and last ids (None when empty)."""
    if not records:
        return None
    return len(records), records[0].get(id_field), records[-1].get(id_field)


def repeated_next(index: int, after: str | None, page: PageResult) -> str | None:
    """Why a sequential list is not paging: page ``index`` names as the next the cursor or link it was asked
    with (``after``), or None."""
    if after is None or page.next != after:
        return None
    return (
        f"page {index + 1} answered with the cursor or link it was asked with ({after[:80]!r}) as the next one: "
        "the API is not paging (loop detected); check [source] paginator"
    )
