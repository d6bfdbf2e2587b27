"""An export's page scheduler: which pages to ask for, and what each answer means for the whole.

Once the provider has told its total, every missing page is handed to the pool at once (fetched
concurrently under the shared pacer); before that, one page at a time, each waiting for the one before, until
the provider's stop rule fires. Every answer is checked against the plan (a short page, a repeated page, too
many pages) before its page counts as landed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from bulkcontacts.engine.attempts import Attempt, Outcome, Succeeded, Work
from bulkcontacts.engine.pool import WorkerPool
from bulkcontacts.paging.state import ExportState
from bulkcontacts.providers.base import ListApi, PageResult
from bulkcontacts.providers.fetch import PageFetcher
from bulkcontacts.providers.paging import PagingError, repeated_next, signature
from bulkcontacts.state.atomic import StateUnwritable
from bulkcontacts.state.parts import PartStore


class PageScheduler:
    """The pool's work, attempt and report functions for one export."""

    def __init__(self, api: ListApi, fetcher: PageFetcher, parts: PartStore, ledger: ExportState) -> None:
        self.api = api
        self.fetcher = fetcher
        self.parts = parts
        self.ledger = ledger
        self.plan = ledger.plan
        self.problems: list[str] = []  # why the export cannot be complete yet
        self.pool: WorkerPool[int] | None = None  # set once the pool is built around this scheduler
        self._arrivals: dict[int, asyncio.Future[bool]] = {}  # sequential mode: the page awaited
        self.end: int | None = None  # a shard of a sharded export: no page from here on is its own

    async def attempt(self, work: Work[int]) -> Attempt:
        result = await self.fetcher.fetch(work.item, self.ledger.after(work.item))
        if isinstance(result, Succeeded):
            api = self.api
            try:
                await asyncio.to_thread(
                    self.parts.write, work.item, result.value.records, api.id_field, api.updated_field
                )
            except OSError as error:  # a part is replaced whole: none of this page was kept
                raise StateUnwritable(self.parts.directory, error) from None
        return result

    def report(self, index: int, outcome: Outcome) -> None:
        arrived = self._arrivals.pop(index, None)
        ok = isinstance(outcome, Succeeded) and self._accept(index, outcome.value)
        if not isinstance(outcome, Succeeded):
            self.problems.append(f"page {index + 1}: {outcome.reason}")
        if arrived is not None and not arrived.done():
            arrived.set_result(ok)

    async def works(self) -> AsyncIterator[list[Work[int]]]:
        pool = self._pool
        index = 0
        while not pool.stopping:
            if self.plan.knows_total and self.api.random_access:
                last = self.plan.total_pages or 0
                for page in range(last if self.end is None else min(last, self.end)):
                    if not self.ledger.is_done(page) and page not in self._arrivals:
                        yield [Work(page)]
                return
            known = self.plan.pages_known()
            if known is not None and index >= known:
                return
            if not self.ledger.is_done(index):
                if index > 0 and not self.api.random_access and self.ledger.after(index) is None:
                    self._refuse(f"page {index + 1}: the next cursor or link of page {index} was not kept; "
                                 "run again with --restart", stop=True)  # fmt: skip
                    return
                waiting = self._arrivals[index] = asyncio.get_running_loop().create_future()
                yield [Work(index)]
                if not await _arrived(waiting, pool):
                    return
            index += 1

    @property
    def _pool(self) -> WorkerPool[int]:
        assert self.pool is not None, "the pool is set before it runs"
        return self.pool

    def _accept(self, index: int, page: PageResult) -> bool:
        """Whether page ``index`` fits the plan; a page that proves the paging wrong stops the export."""
        try:
            self.plan.learn(index, page, self.api)
        except PagingError as error:
            return self._refuse(str(error), stop=True)
        short = self.plan.shortfall(index, page)
        if short is not None:
            return self._refuse(short, stop=False)
        mark = page_signature(page, self.api)
        loop = self._repeats(index, mark) or repeated_next(index, self.ledger.after(index), page)
        if loop is not None:
            return self._refuse(loop, stop=True)
        if mark is not None:
            self.ledger.signatures[index] = mark
        self.ledger.landed(index, len(page.records), page.next)
        return True

    def _repeats(self, index: int, mark: list[Any] | None) -> str | None:
        for neighbour in (index - 1, index + 1):
            if mark is not None and self.ledger.signatures.get(neighbour) == mark:
                return (
                    f"pages {min(index, neighbour) + 1} and {max(index, neighbour) + 1} hold the same "
                    "records: the provider is not paging (loop detected); check [source] page_size (the "
                    "provider may cap it lower) and the filters"
                )
        return None

    def _refuse(self, problem: str, *, stop: bool) -> bool:
        self.problems.append(problem)
        if stop:
            self._pool.stop(problem, fatal=True)
        return False


async def _arrived(waiting: asyncio.Future[bool], pool: WorkerPool[int]) -> bool:
    """Wait for a page in sequential mode; False when it failed or the pool stopped."""
    stop = asyncio.ensure_future(pool.wait_stopped())
    either: list[asyncio.Future[Any]] = [waiting, stop]
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    return waiting.done() and waiting.result()


def page_signature(page: PageResult, api: ListApi) -> list[Any] | None:
    mark = signature(page.records, api.id_field)
    return None if mark is None else list(mark)  # as the checkpoint's JSON keeps it
