"""The emulator's SQLite store: one table of contacts per provider, each row a JSON document.

Its cost per request does not grow with its size (benchmarks and ETAs measure the client, not the emulator;
``benchmarks/emulator_growth.py``). SQLite finds a row by key in O(log n), but counts a scope in O(n) and
skips an ``OFFSET`` in O(offset), and ``:memory:``'s unbounded page cache makes every commit dearer as it
grows. So: ``:memory:`` is SQLite's private temporary database (on disk once its small cache fills, gone at
close: what ``:memory:`` promised, at a constant cost a commit); each scope's row ids (``seq``) are kept in
arrays, in order of insertion (and, when asked for, of ``updated_at``), so a count is a length and a page
at any offset a slice and a look-up by id; a filtered listing keeps the ids it chose until the scope
changes. Rows only ever join at the end; what else changes them (an ``UPDATE`` or ``DELETE``, by this
connection or another) is noticed by temporary triggers and ``PRAGMA data_version``, and rebuilds the arrays.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from array import array
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    scope TEXT NOT NULL,          -- Rampwin integration id, Kore contact list, Smartflo group, Tether org
    id TEXT NOT NULL,
    phone TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (provider, scope, phone),
    UNIQUE (provider, id)
);
CREATE INDEX IF NOT EXISTS contacts_scope ON contacts (provider, scope, seq);
"""
# What changed rows other than by joining at the end: their scopes' arrays are rebuilt (this connection's
# own statements; another connection's show in PRAGMA data_version).
WATCH = """
CREATE TEMP TABLE changed (provider TEXT, scope TEXT, kind TEXT, UNIQUE (provider, scope, kind));
CREATE TEMP TRIGGER contacts_deleted AFTER DELETE ON main.contacts BEGIN
    INSERT OR IGNORE INTO changed VALUES (OLD.provider, OLD.scope, 'moved');
END;
CREATE TEMP TRIGGER contacts_moved AFTER UPDATE OF seq, provider, scope ON main.contacts BEGIN
    INSERT OR IGNORE INTO changed VALUES (OLD.provider, OLD.scope, 'moved');
    INSERT OR IGNORE INTO changed VALUES (NEW.provider, NEW.scope, 'moved');
END;
CREATE TEMP TRIGGER contacts_updated AFTER UPDATE OF updated_at, doc ON main.contacts BEGIN
    INSERT OR IGNORE INTO changed VALUES (NEW.provider, NEW.scope, 'updated');
END;
"""
BY_ID = 500  # ids looked up in one statement
KEPT = 16  # orderings and filters kept (each 8 bytes a row it holds)
Scope = tuple[str, str]
Choice = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
Listing = tuple[int, list[str]]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_object_id() -> str:
    """24 hex characters, like the MongoDB ids the providers hand out."""
    return uuid.uuid4().hex[:24]


class DuplicateContact(Exception):
    pass


class Store:
    """Thread-safe enough for the emulator: one connection, one lock, short transactions."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        private = str(path) in (":memory:", "")
        self.db = sqlite3.connect("" if private else str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=MEMORY" if private else "PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.executescript(SCHEMA + WATCH)
        self.lock = threading.Lock()
        self._seen = 0  # the highest seq in the arrays
        self._version: int | None = None  # PRAGMA data_version when the arrays were last brought up to date
        self._inserted: dict[Scope, array[int]] = {}  # each scope's seqs in order of insertion
        self._chosen: dict[tuple[Scope, Hashable], array[int]] = {}  # seqs of an ordering or a filter

    def insert(self, provider: str, scope: str, phone: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Add a contact; ``doc`` gains ``_id`` if it has none. Raises ``DuplicateContact``."""
        doc.setdefault("_id", new_object_id())
        updated = str(doc.get("updatedAt") or doc.get("updated_at") or now_iso())
        with self.lock:
            try:
                self.db.execute(
                    "INSERT INTO contacts (provider, scope, id, phone, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?)",
                    (provider, scope, str(doc["_id"]), phone, updated, json.dumps(doc)),
                )
            except sqlite3.IntegrityError:
                raise DuplicateContact(phone) from None
        return doc

    def insert_many(self, provider: str, scope: str, docs: list[tuple[str, dict[str, Any]]]) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO contacts (provider, scope, id, phone, updated_at, doc) VALUES (?,?,?,?,?,?)",
                [
                    (
                        provider,
                        scope,
                        str(doc.get("_id", doc.get("id"))),
                        phone,
                        str(doc.get("updatedAt") or doc.get("updated_at") or now_iso()),
                        json.dumps(doc),
                    )
                    for phone, doc in docs
                ],
            )
            self.db.execute("COMMIT")

    def upsert(self, provider: str, scope: str, phone: str, fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert, or overwrite the fields sent and keep the others. Returns (doc, created)."""
        with self.lock:
            found = self.db.execute(
                "SELECT doc FROM contacts WHERE provider=? AND scope=? AND phone=?", (provider, scope, phone)
            ).fetchone()
            stamp = now_iso()
            if found is None:
                doc = {"_id": new_object_id(), **fields, "createdAt": stamp, "updatedAt": stamp}
                self.db.execute(
                    "INSERT INTO contacts (provider, scope, id, phone, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?)",
                    (provider, scope, doc["_id"], phone, stamp, json.dumps(doc)),
                )
                return doc, True
            doc = {**json.loads(found[0]), **fields, "updatedAt": stamp}
            self.db.execute(
                "UPDATE contacts SET doc=?, updated_at=? WHERE provider=? AND scope=? AND phone=?",
                (json.dumps(doc), stamp, provider, scope, phone),
            )
            return doc, False

    def page_raw(
        self, provider: str, scope: str | None, offset: int, limit: int, *, order: str = "seq", descending: bool = False
    ) -> list[str]:
        """Documents ``offset``… as their stored JSON text (no decode/encode on the emulator's hot path), in
        order of insertion or of ``updated_at`` (then insertion), ascending or descending."""
        if scope is None:
            return self._page_by_offset(provider, offset, limit, order, descending)
        with self.lock:
            self._bring_up_to_date()
            ids = self._inserted.get((provider, scope), array("q"))
            if order == "updated_at":
                ids = self._chosen_ids((provider, scope), "updated_at", lambda: self._ids_by_update(provider, scope))
            return self._documents(_window(ids, offset, limit, descending))

    def chosen(self, provider: str, scope: str, key: Hashable, choose: Choice, offset: int, limit: int) -> Listing:
        """A filtered (and maybe re-ordered) listing: ``choose`` gets every document of the scope (as ``all``
        gives them) and answers those wanted, in order; what it chose is kept for ``key`` (which names the
        filter) until the scope changes, so the pages after the first cost a page each, not the scope.
        Returns how many it chose and the stored JSON texts of those at ``offset``…"""
        with self.lock:
            self._bring_up_to_date()
            ids = self._chosen_ids((provider, scope), key, lambda: self._choose(provider, scope, choose))
            return len(ids), self._documents(_window(ids, offset, limit, False))

    def by_phones(self, provider: str, scope: str, phones: list[str]) -> list[dict[str, Any]]:
        """The contacts of ``scope`` with these phones (by the store's unique index), in insertion order."""
        marks = ",".join("?" * len(phones))
        with self.lock:
            rows = self.db.execute(
                f"SELECT doc FROM contacts WHERE provider = ? AND scope = ? AND phone IN ({marks}) ORDER BY seq",
                (provider, scope, *phones),
            ).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def all(self, provider: str, scope: str | None = None) -> list[dict[str, Any]]:
        where, params = self._where(provider, scope, None)
        with self.lock:
            rows = self.db.execute(f"SELECT doc FROM contacts WHERE {where} ORDER BY seq", params).fetchall()
        return [json.loads(doc) for (doc,) in rows]

    def count(self, provider: str, scope: str | None = None, updated_after: str | None = None) -> int:
        if updated_after is not None:
            where, params = self._where(provider, scope, updated_after)
            with self.lock:
                return int(self.db.execute(f"SELECT COUNT(*) FROM contacts WHERE {where}", params).fetchone()[0])
        with self.lock:
            self._bring_up_to_date()
            held = self._inserted.items()
            return sum(len(ids) for (owner, place), ids in held if owner == provider and scope in (None, place))

    def _bring_up_to_date(self) -> None:
        """The arrays as the table is now (under the lock): new rows appended; rebuilt after a change made
        otherwise than by adding rows, or by another connection."""
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        changed = self.db.execute("SELECT provider, scope, kind FROM changed").fetchall()
        if changed:
            self.db.execute("DELETE FROM changed")
        if version != self._version or any(kind == "moved" for _, _, kind in changed):
            self._version, self._seen = version, 0
            self._inserted.clear()
            self._chosen.clear()
        self._forget({(provider, scope) for provider, scope, _ in changed})
        rows = self.db.execute("SELECT seq, provider, scope FROM contacts WHERE seq > ? ORDER BY seq", (self._seen,))
        grown: set[Scope] = set()
        for seq, provider, scope in rows:
            key = (provider, scope)
            if key not in grown:
                grown.add(key)
                self._inserted.setdefault(key, array("q"))
            self._inserted[key].append(seq)
            self._seen = seq
        self._forget(grown)

    def _forget(self, scopes: set[Scope]) -> None:
        if scopes:
            for key in [key for key in self._chosen if key[0] in scopes]:
                del self._chosen[key]

    def _chosen_ids(self, scope: Scope, key: Hashable, build: Callable[[], array[int]]) -> array[int]:
        found = self._chosen.get((scope, key))
        if found is None:
            while len(self._chosen) >= KEPT:  # the oldest choice goes first
                del self._chosen[next(iter(self._chosen))]
            found = self._chosen[(scope, key)] = build()
        return found

    def _ids_by_update(self, provider: str, scope: str) -> array[int]:
        rows = self.db.execute(
            "SELECT seq FROM contacts WHERE provider = ? AND scope = ? ORDER BY updated_at, seq", (provider, scope)
        )
        return array("q", (seq for (seq,) in rows))

    def _choose(self, provider: str, scope: str, choose: Choice) -> array[int]:
        rows = self.db.execute(
            "SELECT seq, doc FROM contacts WHERE provider = ? AND scope = ? ORDER BY seq", (provider, scope)
        ).fetchall()
        docs = [json.loads(doc) for _, doc in rows]
        seq_of = {id(doc): seq for doc, (seq, _) in zip(docs, rows, strict=True)}
        return array("q", (seq_of[id(doc)] for doc in choose(docs)))

    def _documents(self, ids: list[int]) -> list[str]:
        """The stored JSON texts of these rows, in this order."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), BY_ID):
            part = ids[start : start + BY_ID]
            marks = ",".join("?" * len(part))
            found.update(self.db.execute(f"SELECT seq, doc FROM contacts WHERE seq IN ({marks})", part).fetchall())
        return [found[seq] for seq in ids]

    def _page_by_offset(self, provider: str, offset: int, limit: int, order: str, descending: bool) -> list[str]:
        """Every scope of a provider at once (no endpoint lists so): SQLite's ORDER BY … OFFSET."""
        column = "updated_at" if order == "updated_at" else "seq"
        direction = "DESC" if descending else "ASC"
        with self.lock:
            rows = self.db.execute(
                f"SELECT doc FROM contacts WHERE provider = ? ORDER BY {column} {direction}, seq {direction} "
                "LIMIT ? OFFSET ?",
                (provider, limit, offset),
            ).fetchall()
        return [doc for (doc,) in rows]

    @staticmethod
    def _where(provider: str, scope: str | None, updated_after: str | None) -> tuple[str, tuple[Any, ...]]:
        clauses, params = ["provider = ?"], [provider]
        if scope is not None:
            clauses.append("scope = ?")
            params.append(scope)
        if updated_after is not None:
            clauses.append("updated_at > ?")
            params.append(updated_after)
        return " AND ".join(clauses), tuple(params)

    def close(self) -> None:
        self.db.close()


def _window(ids: array[int], offset: int, limit: int, descending: bool) -> list[int]:
    """Positions ``offset``… of ``ids``, or of ``ids`` read from its end."""
    if not descending:
        return ids[offset : offset + limit].tolist()
    end = len(ids) - offset
    return ids[max(0, end - limit) : max(0, end)].tolist()[::-1]
