"""Paginators: how the pages of one list API follow each other, as small pure strategies.

Named and configured as dlt's ``rest_api`` names them (``page_number``, ``offset``, ``cursor``,
``json_link``, ``header_link``), so that a dlt user feels at home. A paginator never does I/O:

- ``ask(index, after)`` gives page ``index``'s query parameters, or the URL to fetch. ``after`` is what the
  page before it said comes next (its cursor or next link; None for the first page). A *random-access*
  paginator (page number, offset) ignores it: any page can be asked for by number, so once the total is
  known every page is fetched at once. A *sequential* one (cursor, links) needs it: its pages come one
  after another, and a resume starts from the last committed page's ``after``.
- ``read(body, headers)`` takes in what an answer says about the whole: a total, the next cursor or link,
  whether there is more.
- ``is_last(index, page)`` is the stop rule when no total is known: an empty page, no next cursor or link,
  ``has_more`` false, the maximum page or offset reached.

Loops are found in ``paging.py`` for every list alike: numbered pages by their neighbours' contents, sequential
ones by a next cursor or link equal to the one the page was asked with (the committed ``after`` is kept across
a resume, so a loop is found again after one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import Field

from bulkcontacts.config.base import Strict
from bulkcontacts.config.rest import DottedPath
from bulkcontacts.config.sources import Given
from bulkcontacts.providers.base import PageError, PageResult

LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


@dataclass(frozen=True)
class Ask:
    """Page ``index``'s request: query parameters to add, values to set in the JSON body (dotted path →
    value), or a whole URL to fetch (a next link)."""

    params: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    body: dict[str, Any] = field(default_factory=dict)


def _placed(param: str, body_path: str | None, value: Any) -> Ask:
    """A value sent as a query parameter, or at ``body_path`` in the JSON body (dlt's ``*_body_path``)."""
    return Ask(body={body_path: value}) if body_path is not None else Ask({param: str(value)})


def _both(first: Ask, second: Ask) -> Ask:
    return Ask({**first.params, **second.params}, body={**first.body, **second.body})


@dataclass(frozen=True)
class Position:
    """What one answer says beyond its records."""

    next: str | None = None  # the cursor or link of the page after it (sequential paginators)
    total_records: int | None = None
    total_pages: int | None = None
    has_more: bool | None = None


class Paginator(Protocol):
    @property
    def random_access(self) -> bool: ...

    def ask(self, index: int, after: str | None) -> Ask: ...

    def read(self, body: Any, headers: Mapping[str, str]) -> Position: ...

    def is_last(self, index: int, page: PageResult) -> bool: ...


def at(body: Any, path: str) -> Any:
    """The value at a dotted path (``data.items``, ``meta.total``; ``$`` is the body itself, a leading
    ``$.`` is allowed; a number indexes a list). None where the path leads nowhere."""
    node = body
    for part in _parts(path):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        if node is None:
            return None
    return node


def _parts(path: str) -> list[str]:
    trimmed = path.strip()
    if trimmed in ("$", ""):
        return []
    return trimmed.removeprefix("$.").split(".")


def _count(body: Any, path: str | None, what: str) -> int | None:
    """A total at ``path`` (None without a path); an answer without one, or not a whole number, is refused."""
    if path is None:
        return None
    value = at(body, path)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PageError(f"{what} {path!r} is {value!r} in this answer, not a whole number")
    return value


def _has_more(body: Any, path: str | None) -> bool | None:
    if path is None:
        return None
    value = at(body, path)
    if not isinstance(value, bool):
        raise PageError(f"has_more_path {path!r} is {value!r} in this answer, not true or false")
    return value


class PageNumberPaginator(Strict):
    """``?page=N``: ``base_page`` is the first page's number; ``total_path`` the total number of *pages*
    (dlt's meaning); ``maximum_page`` the last page to ask for; else the list ends at an empty page (or
    when ``has_more_path`` says false)."""

    type: Literal["page_number"] = "page_number"
    page_param: Given = "page"
    page_body_path: DottedPath | None = None  # the page number in the JSON body instead (a POST list)
    base_page: int = Field(default=0, ge=0)
    total_path: DottedPath | None = None
    maximum_page: int | None = Field(default=None, ge=0)
    has_more_path: DottedPath | None = None
    # Ours, not dlt's: a page with fewer records than [source] page_size is the last (saves the empty page;
    # only for an API that never serves fewer than it is asked for before the end). An answer that says
    # has_more is believed over its length.
    stop_after_short_page: bool = False
    random_access: ClassVar[bool] = True

    def ask(self, index: int, after: str | None) -> Ask:
        return _placed(self.page_param, self.page_body_path, self.base_page + index)

    def read(self, body: Any, headers: Mapping[str, str]) -> Position:
        pages = _count(body, self.total_path, "total_path")
        return Position(total_pages=pages, has_more=_has_more(body, self.has_more_path))

    def is_last(self, index: int, page: PageResult) -> bool:
        maximum = self.maximum_page is not None and self.base_page + index >= self.maximum_page
        return maximum or not page.records or page.has_more is False


class OffsetPaginator(Strict):
    """``?offset=N&limit=L``: ``total_path`` the total number of *records*; ``maximum_offset`` where to stop;
    else the list ends at an empty page (or when ``has_more_path`` says false)."""

    type: Literal["offset"] = "offset"
    limit: int = Field(default=100, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0)
    offset_param: Given = "offset"
    limit_param: Given = "limit"
    offset_body_path: DottedPath | None = None  # in the JSON body instead (a POST list)
    limit_body_path: DottedPath | None = None
    total_path: DottedPath | None = None
    maximum_offset: int | None = Field(default=None, ge=1)
    has_more_path: DottedPath | None = None
    stop_after_short_page: bool = False  # ours: fewer than ``limit`` records, and no has_more, is the last
    random_access: ClassVar[bool] = True

    def ask(self, index: int, after: str | None) -> Ask:
        offset = _placed(self.offset_param, self.offset_body_path, self.offset + index * self.limit)
        return _both(offset, _placed(self.limit_param, self.limit_body_path, self.limit))

    def read(self, body: Any, headers: Mapping[str, str]) -> Position:
        total = _count(body, self.total_path, "total_path")
        if total is not None:
            total = max(0, total - self.offset)  # the records from the first offset on
        return Position(total_records=total, has_more=_has_more(body, self.has_more_path))

    def is_last(self, index: int, page: PageResult) -> bool:
        following = self.offset + (index + 1) * self.limit
        maximum = self.maximum_offset is not None and following >= self.maximum_offset
        short = self.stop_after_short_page and page.has_more is None and len(page.records) < self.limit
        return maximum or short or not page.records or page.has_more is False


class JSONResponseCursorPaginator(Strict):
    """A cursor in the body (``cursor_path``, e.g. ``paging.next.after``) sent back as ``cursor_param``; the
    list ends when the answer holds none."""

    type: Literal["cursor"] = "cursor"
    cursor_path: DottedPath = "cursors.next"
    cursor_param: Given = "cursor"
    cursor_body_path: DottedPath | None = None  # the cursor in the JSON body instead (a POST list)
    random_access: ClassVar[bool] = False

    def ask(self, index: int, after: str | None) -> Ask:
        return _placed(self.cursor_param, self.cursor_body_path, after) if after is not None else Ask()

    def read(self, body: Any, headers: Mapping[str, str]) -> Position:
        value = at(body, self.cursor_path)
        if isinstance(value, bool) or not isinstance(value, str | int):
            if value not in (None, ""):
                raise PageError(f"cursor_path {self.cursor_path!r} is {value!r} in this answer, not a cursor")
            return Position()
        return Position(next=str(value) or None)

    def is_last(self, index: int, page: PageResult) -> bool:
        return page.next is None


class JSONLinkPaginator(Strict):
    """The next page's URL in the body (``next_url_path``); the list ends when it is empty or missing."""

    type: Literal["json_link"] = "json_link"
    next_url_path: DottedPath = "next"
    random_access: ClassVar[bool] = False

    def ask(self, index: int, after: str | None) -> Ask:
        return Ask(url=after)

    def read(self, body: Any, headers: Mapping[str, str]) -> Position:
        value = at(body, self.next_url_path)
        if value not in (None, "") and not isinstance(value, str):
            raise PageError(f"next_url_path {self.next_url_path!r} is {value!r} in this answer, not a URL")
        return Position(next=value or None)

    def is_last(self, index: int, page: PageResult) -> bool:
        return page.next is None


class HeaderLinkPaginator(Strict):
    """The next page's URL in the ``Link`` header (``<…>; rel="next"``, RFC 8288, as GitHub sends it); the
    list ends when there is none."""

    type: Literal["header_link"] = "header_link"
    links_next_key: Given = "next"
    random_access: ClassVar[bool] = False

    def ask(self, index: int, after: str | None) -> Ask:
        return Ask(url=after)

    def read(self, body: Any, headers: Mapping[str, str]) -> Position:
        return Position(next=next_link(headers.get("Link", ""), self.links_next_key))

    def is_last(self, index: int, page: PageResult) -> bool:
        return page.next is None


# ``[source] paginator = { type = …, … }``: the strategy itself, its keys dlt's.
PaginatorSpec = Annotated[
    PageNumberPaginator | OffsetPaginator | JSONResponseCursorPaginator | JSONLinkPaginator | HeaderLinkPaginator,
    Field(discriminator="type"),
]


def next_link(header: str, relation: str = "next") -> str | None:
    """The URL of the ``Link`` header's entry whose ``rel`` names ``relation`` (rel may list several)."""
    for match in LINK.finditer(header):
        for parameter in match.group(2).split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "rel" and relation in value.strip().strip('"').split():
                return match.group(1).strip() or None
    return None
