"""The emulator's store answers as SQLite's own ORDER BY … OFFSET and COUNT(*) would, whatever changed the
table: its arrays of row ids (a page at any offset costs a page) are an index, never a second truth."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from typing import Any

import pytest

from bulkcontacts_emulator.seed import seed
from bulkcontacts_emulator.store import DuplicateContact, Store

OFFSETS = (0, 1, 99, 100, 1_234, 2_899, 2_999, 3_000, 5_000)


def sql_page(store: Store, scope: str, offset: int, limit: int, order: str, descending: bool) -> list[str]:
    """The store's page as the plain SQL it replaced."""
    column, direction = ("updated_at" if order == "updated_at" else "seq"), ("DESC" if descending else "ASC")
    rows = store.db.execute(
        f"SELECT doc FROM contacts WHERE provider = 'rampwin' AND scope = ? ORDER BY {column} {direction}, "
        f"seq {direction} LIMIT ? OFFSET ?",
        (scope, limit, offset),
    ).fetchall()
    return [doc for (doc,) in rows]


def count_of(store: Store, scope: str) -> int:
    found = store.db.execute("SELECT COUNT(*) FROM contacts WHERE provider = 'rampwin' AND scope = ?", (scope,))
    return int(found.fetchone()[0])


def agrees(store: Store, scope: str = "a") -> None:
    for order in ("seq", "updated_at"):
        for descending in (False, True):
            for offset in OFFSETS:
                got = store.page_raw("rampwin", scope, offset, 100, order=order, descending=descending)
                assert got == sql_page(store, scope, offset, 100, order, descending), (order, descending, offset)
    assert store.count("rampwin", scope) == count_of(store, scope)


def mixed_store(path: str = ":memory:") -> Store:
    """Two scopes whose rows interleave, and update times out of insertion order."""
    store = Store(path)
    seed(store, "rampwin", 1_500, "a")
    seed(store, "rampwin", 700, "b", start=1_500)
    seed(store, "rampwin", 1_500, "a", start=2_200)
    for index in range(0, 3_000, 7):  # some contacts updated (newer), one new
        store.upsert("rampwin", "a", f"44700{index:07d}", {"full_name": f"N{index}"})
    for phone, _ in store.db.execute("SELECT phone, seq FROM contacts WHERE scope='a' LIMIT 40").fetchall():
        store.upsert("rampwin", "a", phone, {"full_name": "Changed"})
    return store


def test_pages_at_any_offset_in_either_order_are_sqlites_own() -> None:
    store = mixed_store()
    agrees(store)
    agrees(store, "b")
    assert store.page_raw("rampwin", "nowhere", 0, 100) == [] and store.count("rampwin", "nowhere") == 0


def test_a_page_after_inserts_upserts_and_deletes_is_still_sqlites_own() -> None:
    store = mixed_store()
    agrees(store)  # the arrays are built
    store.insert("rampwin", "a", "447999000001", {"full_name": "Late", "updatedAt": "2000-01-01T00:00:00.000Z"})
    store.upsert("rampwin", "a", "447999000002", {"full_name": "Later"})
    first = store.page_raw("rampwin", "a", 0, 1)[0]
    store.upsert("rampwin", "a", json.loads(first)["phone_number"], {"full_name": "Moved to the end by time"})
    agrees(store)
    with store.lock:  # what a test may do behind the store's back
        store.db.execute("DELETE FROM contacts WHERE scope = 'a' AND seq % 5 = 0")
        store.db.execute("UPDATE contacts SET scope = 'b' WHERE scope = 'a' AND seq % 11 = 0")
        store.db.execute("UPDATE contacts SET updated_at = '1999' WHERE scope = 'a' AND seq % 13 = 0")
    agrees(store)
    agrees(store, "b")


def test_another_connections_writes_are_seen(tmp_path: Any) -> None:
    path = str(tmp_path / "store.sqlite")
    store = mixed_store(path)
    agrees(store)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("DELETE FROM contacts WHERE scope = 'a' AND seq % 3 = 0")
    other.close()
    agrees(store)


def test_counts_follow_inserts_upserts_and_ignored_duplicates() -> None:
    store = Store()
    seed(store, "rampwin", 300, "a")
    assert store.count("rampwin", "a") == 300
    seed(store, "rampwin", 300, "a")  # the same phones and ids again: ignored
    seed(store, "rampwin", 50, "b", start=300)
    assert (store.count("rampwin", "a"), store.count("rampwin", "b"), store.count("rampwin")) == (300, 50, 350)
    _, created = store.upsert("rampwin", "a", "447000000001", {"full_name": "New"})
    _, again = store.upsert("rampwin", "a", "447000000001", {"full_name": "Same phone"})
    assert (created, again, store.count("rampwin", "a")) == (True, False, 301)
    assert store.count("tether", "a") == 0


def test_duplicates_are_still_refused_and_leave_no_trace() -> None:
    store = Store()
    doc = store.insert("rampwin", "a", "447000000001", {"full_name": "One"})
    assert store.count("rampwin", "a") == 1
    with pytest.raises(DuplicateContact):
        store.insert("rampwin", "a", "447000000001", {"full_name": "Same phone"})
    with pytest.raises(DuplicateContact):
        store.insert("rampwin", "b", "447000000002", {"_id": doc["_id"], "full_name": "Same id"})
    assert store.insert("rampwin", "b", "447000000001", {"full_name": "Same phone, other scope"})
    assert (store.count("rampwin", "a"), store.count("rampwin", "b")) == (1, 1)
    assert [json.loads(text)["full_name"] for text in store.page_raw("rampwin", "a", 0, 10)] == ["One"]


def test_a_memory_store_is_private_to_its_object() -> None:
    first, second = Store(), Store(":memory:")
    first.insert("rampwin", "a", "447000000001", {"full_name": "One"})
    assert (first.count("rampwin", "a"), second.count("rampwin", "a")) == (1, 0)


def listing(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/rampwin/api/contacts/v3/page",
        data=json.dumps({"integrationId": "demo", "pageCountRequired": "yes", **body}).encode(),
        headers={"Authorization": "Bearer t", "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        return dict(json.load(answer)["data"])


def test_a_filtered_listing_pages_as_it_did_and_sees_changes(emulator: Any) -> None:
    store = emulator.state.store
    seed(store, "rampwin", 1_000, "demo")
    newer = {"fitlers": [[{"field_name": "updatedAt", "operator": "greater_than", "field_value": "2024-01-01T10"}]]}
    everything = store.all("rampwin", "demo")

    def expected(page: int) -> list[dict[str, Any]]:
        wanted = [doc for doc in store.all("rampwin", "demo") if doc["updatedAt"] > "2024-01-01T10"]
        return wanted[(page - 1) * 100 : page * 100]

    pages = [listing(emulator.url, {"page": page, "pageSize": 100, **newer}) for page in (1, 2, 4, 5)]
    assert [page["contacts"] for page in pages] == [expected(page) for page in (1, 2, 4, 5)]
    assert pages[0]["totalPages"] == 4 and pages[-1]["contacts"] == []  # 400 of the 1,000 are after 10:00
    store.upsert("rampwin", "demo", everything[0]["phone_number"], {"full_name": "Now newer"})
    first = listing(emulator.url, {"page": 1, "pageSize": 100, **newer})["contacts"]
    assert first == expected(1) and first[0]["full_name"] == "Now newer"
    users = listing(emulator.url, {"page": 2, "pageSize": 50, "showOnlyUsers": True})["contacts"]
    assert users == [doc for doc in store.all("rampwin", "demo") if doc["is_user"]][50:100]
