"""An export's part files: ``parts/page-000001.jsonl`` …, one per page, in the state directory.

A page's part file exists only once fully written (temporary name, rename), and the pages a checkpoint is
about to mark done are fsynced first, so a crash never leaves half a page behind or a done page missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bulkcontacts.state.atomic import sync_files, write_atomic


class PartStore:
    """``parts/page-000001.jsonl`` … in the state directory, each with its records' ids beside it
    (``page-000001.keys``: the id and the update time of each record, a line each), so that assembly can
    drop repeated ids without parsing a record."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def create(self) -> None:
        self.directory.mkdir(mode=0o700, exist_ok=True)

    def path(self, index: int) -> Path:
        return self.directory / f"page-{index + 1:07d}.jsonl"

    def keys_path(self, index: int) -> Path:
        return self.directory / f"page-{index + 1:07d}.keys"

    def write(self, index: int, records: list[dict[str, Any]], id_field: str, updated_field: str) -> None:
        """Atomic; made durable in batches by ``sync`` before the checkpoint marks the pages done. A keys
        line is the id as a JSON string (``str`` of the value, as assembly compares ids), a tab, and the
        update time as a JSON string when it is text."""
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        write_atomic(self.path(index), text.encode("utf-8"), durable=False)
        keys = "".join(
            f"{json.dumps(str(record.get(id_field)))}\t{_text(record.get(updated_field))}\n" for record in records
        )
        write_atomic(self.keys_path(index), keys.encode("utf-8"), durable=False)

    def sync(self, indexes: list[int]) -> None:
        files = [path for index in indexes for path in (self.path(index), self.keys_path(index))]
        sync_files(files, self.directory)

    def read(self, index: int) -> list[dict[str, Any]]:
        with open(self.path(index), encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def clear(self) -> None:
        if self.directory.is_dir():
            for part in self.directory.iterdir():
                part.unlink()


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else ""
