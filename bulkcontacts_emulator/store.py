"""The emulator's SQLite store: one table of contacts per provider, each row a JSON document."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
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
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL" if str(path) != ":memory:" else "PRAGMA journal_mode=MEMORY")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()

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
        """Documents ``offset``… as their stored JSON text (no decode/encode on the emulator's hot path)."""
        where, params = self._where(provider, scope, None)
        column = "updated_at" if order == "updated_at" else "seq"
        direction = "DESC" if descending else "ASC"
        with self.lock:
            rows = self.db.execute(
                f"SELECT doc FROM contacts WHERE {where} ORDER BY {column} {direction}, seq "
                f"{direction} LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [doc for (doc,) in rows]

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
        where, params = self._where(provider, scope, updated_after)
        with self.lock:
            return int(self.db.execute(f"SELECT COUNT(*) FROM contacts WHERE {where}", params).fetchone()[0])

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
