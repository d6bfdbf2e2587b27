"""``validate``: the spec and the source's columns checked, and the first payloads mapped. Sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bulkcontacts.config.jobs import ImportJob, JobSpec, MigrateJob
from bulkcontacts.config.sinks import ContactSink, RestSink
from bulkcontacts.contacts.duplicates import DuplicatePhones
from bulkcontacts.contacts.mapping import ContactMapper, Rejection
from bulkcontacts.contacts.templates import render_body
from bulkcontacts.io.readers import FileReader
from bulkcontacts.jobs.rows import mapper_for
from bulkcontacts.providers.registry import provider_of

Mapped = dict[str, Any] | Rejection


@dataclass
class FileCheck:
    """An import's source as the run would see it."""

    file_format: str
    rows: int
    columns: list[str]
    core_columns: dict[str, list[str]]
    attributes: list[str]
    first_rows: list[tuple[int, Mapped]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # of the previewed rows: ambiguous phones


@dataclass
class ProviderCheck:
    """A provider source: nothing to read before the run; for a migration, the mapping it will use."""

    provider: str
    mapping: dict[str, Any] | None  # a migration's: the provider's defaults with [mapping] over them


def check_job(spec: JobSpec, rows: int) -> FileCheck | ProviderCheck:
    if not isinstance(spec, ImportJob):
        mapping = None
        if isinstance(spec, MigrateJob):
            own = spec.mapping.model_dump(mode="json", include=spec.mapping.model_fields_set)
            mapping = {**provider_of(spec.source).default_mapping, **own}
        return ProviderCheck(spec.source.type, mapping)
    reader = FileReader(spec.source)
    columns = reader.columns()
    mapper = mapper_for(spec, columns)
    check = FileCheck(
        spec.source.file_format,
        reader.count_rows(),
        columns,
        mapper.core_columns,
        [name for _, name, _ in mapper.attributes],
        [(row, _as_sent(spec.sink, mapped)) for row, mapped in _first_rows(reader, mapper, DuplicatePhones(), rows)],
    )
    check.notes = mapper.ambiguous.notes()
    return check


def _first_rows(
    reader: FileReader, mapper: ContactMapper, duplicates: DuplicatePhones, limit: int
) -> Iterator[tuple[int, Mapped]]:
    shown = 0
    for first, batch in reader.batches():
        for offset, row in enumerate(batch):
            if shown >= limit:
                return
            yield first + offset, duplicates.check(mapper.map(row))
            shown += 1


def _as_sent(sink: ContactSink, mapped: Mapped) -> Mapped:
    """What is sent for a row: a REST sink's body rendered from it (Rampwin's payload is the row itself)."""
    if isinstance(sink, RestSink) and isinstance(mapped, dict):
        return render_body(sink, mapped)
    return mapped
