"""``python -m benchmarks.fill_channel SOURCE STORE INTEGRATION``: an emulator store whose Rampwin channel holds,
for every row of SOURCE, the contact its import creates (the payload as the emulator would store it)."""

from __future__ import annotations

import sys
from pathlib import Path

from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.config.sources import FileSource
from bulkcontacts.contacts.duplicates import DuplicatePhones
from bulkcontacts.contacts.mapping import ContactMapper
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.rows import mapped_batches
from bulkcontacts_emulator.store import Store, new_object_id, now_iso


def fill(source: Path, store_path: Path, integration: str) -> None:
    reader = FileReader(FileSource(type="file", path=source))
    mapper = ContactMapper(MappingSpec(tags={"column": "tags", "separator": ";"}), reader.columns(), integration)
    store = Store(store_path)
    stamp = now_iso()
    for batch in mapped_batches(reader, mapper, DuplicatePhones(reader.count_rows()), 0):
        docs = []
        for _, _, payload in batch:
            if isinstance(payload, dict):
                phone = str(payload["phone_number"])
                doc = {"_id": new_object_id(), **payload, "phone_number": phone, "is_user": False}
                docs.append((phone, {**doc, "createdAt": stamp, "updatedAt": stamp}))
        store.insert_many("rampwin", integration, docs)
    store.close()


if __name__ == "__main__":
    fill(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
