"""The ledger's crash protocol: outcome lines are synced before the checkpoint that counts them, a crash
between the two is undone by truncating to the committed lengths, and the lease covers every row sent."""

import asyncio
import csv

import pytest

from bulkcontacts.errors import UsageError
from bulkcontacts.state.checkpoint import Progress, StateDir
from bulkcontacts.state.ledger import ImportLedger, begin_retry, retry_rows


def ledger(tmp_path, progress=None, lease_step=10):
    state = StateDir(tmp_path)
    state.create()
    progress = progress or Progress("import", "src", "shape")
    book = ImportLedger(state, progress, ["phone", "name"], lease_step)
    book.open()
    return state, book


def lines(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_a_commit_writes_lines_then_the_checkpoint_with_their_lengths(tmp_path):
    state, book = ledger(tmp_path)
    book.record_created(0, 0, 919876543210, "c0")
    book.record_rejected(1, 1, "bad phone", None, "bad_phone", {"phone": "12", "name": "A"})
    asyncio.run(book.commit())
    book.close()
    saved = state.load()
    assert saved.done_count == 2 and saved.counts == {"created": 1, "rejected": 1, "rejected:bad_phone": 1}
    assert saved.offsets["created.csv"] == (tmp_path / "created.csv").stat().st_size
    assert lines(tmp_path / "created.csv") == [["row", "phone_number", "contact_id"], ["0", "919876543210", "c0"]]
    assert lines(tmp_path / "rejected.csv")[1] == ["1", "bad phone", "", "12", "A"]


def test_lines_appended_after_the_last_checkpoint_are_cut_off_on_reopen(tmp_path):
    """A crash after the lines were written but before the checkpoint: the next run truncates them, so the
    rows are sent again and each ends up in the files exactly once."""
    state, book = ledger(tmp_path)
    book.record_created(0, 0, 919876543210, "c0")
    asyncio.run(book.commit())
    committed = state.load()
    book.created.append([[1, 919876543211, "c1"]])  # written, never committed: the process dies here
    book.created.sync()
    book.close()
    _, again = ledger(tmp_path, committed)
    again.close()
    assert [line[0] for line in lines(tmp_path / "created.csv")] == ["row", "0"]


def test_an_outcome_file_shorter_than_the_checkpoint_says_is_refused(tmp_path):
    state, book = ledger(tmp_path)
    book.record_created(0, 0, 919876543210, "c0")
    asyncio.run(book.commit())
    book.close()
    (tmp_path / "created.csv").write_text("row\n")
    with pytest.raises(UsageError, match="shorter than the checkpoint"):
        ledger(tmp_path, state.load())


def test_the_lease_is_durable_before_a_row_under_it_is_sent(tmp_path):
    state, book = ledger(tmp_path, lease_step=10)

    async def lease() -> None:
        await book.ensure_lease(0)
        assert state.load().sent_upto > 0  # in the checkpoint on disk, not only in memory
        await book.ensure_lease(25)  # a jump (rows skipped on resume) commits a lease that covers it
        assert state.load().sent_upto > 25

    asyncio.run(lease())
    book.close()


def test_a_retry_round_counts_places_in_its_list_and_keeps_the_rejections_before_it(tmp_path):
    state, book = ledger(tmp_path)
    book.record_created(0, 0, 919876543210, "c0")
    book.record_rejected(1, 4, "bad", 400, "http_400", {"phone": "1", "name": "B"})
    book.record_rejected(2, 9, "bad", 400, "http_400", {"phone": "2", "name": "C"})
    asyncio.run(book.commit(finished=True))
    book.close()
    progress = state.load()
    assert begin_retry(state, progress) == 2
    assert retry_rows(state) == [4, 9]
    assert progress.low_water == 0 and progress.extra["retry"] == 2 and not progress.finished
    assert "rejected" not in progress.counts and progress.counts["created"] == 1
    assert len(lines(tmp_path / "rejected.before-retry.csv")) == 3


def test_a_commit_cancelled_while_it_writes_still_lands_before_the_final_one(tmp_path):
    """A run's periodic commit is cancelled when the run ends; its rows are already out of the buffer and a
    thread is writing them, so the final commit must wait for it, not race it (seen: a finished shard whose
    checkpoint held 193 of its 600 rows)."""
    state, book = ledger(tmp_path)

    async def end_of_run() -> None:
        for row in range(500):
            book.record_created(row, row, 919800000000 + row, f"c{row}")
        periodic = asyncio.ensure_future(book.commit())
        await asyncio.sleep(0)  # under way: the rows handed to the writing thread
        periodic.cancel()
        for row in range(500, 600):
            book.record_created(row, row, 919800000000 + row, f"c{row}")
        await book.commit(finished=True)

    asyncio.run(end_of_run())
    book.close()
    saved = state.load()
    assert saved.finished and saved.done_count == 600 and saved.counts["created"] == 600
    assert len(lines(tmp_path / "created.csv")) == 601 and book.count("created") == 600
