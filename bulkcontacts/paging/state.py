"""An export's committed state: the pages done (the checkpoint), what the pages said about the whole (the
plan) and the signatures near the frontier (loop detection across resumes), written together."""

from __future__ import annotations

import asyncio
from typing import Any

from bulkcontacts.providers.paging import PagePlan
from bulkcontacts.state.atomic import StateUnwritable
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.parts import PartStore


class ExportState:
    """Pages done (the checkpoint) and what the pages said about the whole (the plan), committed together."""

    def __init__(self, state: StateDir, progress: Progress, plan: PagePlan, parts: PartStore) -> None:
        self.state = state
        self.parts = parts
        self.progress = progress
        self.plan = plan
        self.pending: list[tuple[int, int]] = []  # (page, records) landed since the last commit
        self.landed_pages: set[int] = set()  # landed in this run (committed or not)
        # Each page's signature near the frontier, kept in the checkpoint: a loop found before a stop is found
        # again on resume (the repeated page is compared with its neighbour fetched in an earlier run).
        self.signatures: dict[int, list[Any]] = {
            int(index): mark for index, mark in progress.extra.get("signatures", {}).items()
        }
        # A sequential list's page → the cursor or link it named as the next (the frontier's is committed:
        # a resume asks for the next page with it).
        self.following: dict[int, str] = {int(index): link for index, link in progress.extra.get("after", {}).items()}
        self._lock = asyncio.Lock()

    def landed(self, index: int, records: int, following: str | None = None) -> None:
        self.pending.append((index, records))
        self.landed_pages.add(index)
        if following is not None:
            self.following[index] = following

    def why_incomplete(self, problems: list[str], span: tuple[int, int] | None = None) -> str | None:
        """Why the pages fetched are not the whole list (None: they are): the problems the answers showed, a
        page of ``span`` (a shard's) not fetched, the last page never reached, fewer records than the total."""
        plan = self.plan
        if problems:
            return "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        if span is not None:
            undone = [page for page in range(*span) if not self.is_done(page)]
            return f"{len(undone):,} of this shard's pages were not fetched" if undone else None
        if not plan.complete(self):
            return "the provider's last page was never reached"
        fetched = self.progress.counts.get("records_fetched", 0)
        if plan.total_records is not None and fetched < plan.total_records:
            return f"the provider's total is {plan.total_records:,} records, but its pages held {fetched:,}"
        return None

    def after(self, index: int) -> str | None:
        """What page ``index - 1`` named as the next (None for the first page, or a numbered list)."""
        return self.following.get(index - 1) if index > 0 else None

    async def commit(self, *, finished: bool = False) -> None:
        """Commit the landed pages, to the end even if the caller is cancelled (a thread saves them; a later
        commit waits for it rather than race it)."""
        await asyncio.shield(self._commit_locked(finished))

    async def _commit_locked(self, finished: bool) -> None:
        async with self._lock:
            pending, self.pending = self.pending, []
            progress = self.progress
            for index, records in pending:
                progress.mark_done(index)
                progress.counts["pages"] = progress.counts.get("pages", 0) + 1
                progress.counts["records_fetched"] = progress.counts.get("records_fetched", 0) + records
            marks, plan = progress.extra, self.plan
            marks["total_pages"], marks["total_records"], marks["last_page"] = (
                plan.total_pages,
                plan.total_records,
                plan.last_page,
            )
            frontier = progress.low_water - 1  # a page below it has no neighbour left to fetch
            self.signatures = {index: mark for index, mark in self.signatures.items() if index >= frontier}
            progress.extra["signatures"] = {
                str(index): mark for index, mark in sorted(self.signatures.items()) if progress.is_done(index)
            }
            self.following = {index: link for index, link in self.following.items() if index >= frontier}
            progress.extra["after"] = {
                str(index): link for index, link in sorted(self.following.items()) if progress.is_done(index)
            }
            progress.finished = finished
            try:
                await asyncio.to_thread(self._save, [index for index, _ in pending])
            except OSError as error:  # parts and checkpoint are each replaced whole: the last commit stands
                raise StateUnwritable(self.state.path, error) from None

    def _save(self, landed: list[int]) -> None:
        if landed:
            self.parts.sync(landed)  # the parts are durable before the checkpoint says they are done
        self.state.save(self.progress)

    def is_done(self, index: int) -> bool:
        return index in self.landed_pages or self.progress.is_done(index)

    @classmethod
    def plan_of(cls, progress: Progress, page_size: int | None, max_pages: int) -> PagePlan:
        """The plan as the last commit left it (a resume knows the total it learned)."""
        extra = progress.extra
        return PagePlan(
            page_size, max_pages, extra.get("total_pages"), extra.get("total_records"), extra.get("last_page")
        )
