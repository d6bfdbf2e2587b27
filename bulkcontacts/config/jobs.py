"""The three kinds of job, one typed model each: an import (file → Rampwin), an export (provider → file) and
a migration (provider → Rampwin). The loader decides which from the source and sink tables."""

from __future__ import annotations

import hashlib
import json
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import PrivateAttr, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.config.run import JobTable, RunSpec
from bulkcontacts.config.sinks import ContactSink, FileSink, RestSink
from bulkcontacts.config.sources import FileSource, ProviderSource, source_identity

JobKind = Literal["import", "export", "migrate"]
Job = TypeVar("Job", bound="JobBase")


class JobBase(Strict):
    kind: ClassVar[JobKind]
    job: JobTable
    mapping: MappingSpec = MappingSpec()
    run: RunSpec = RunSpec()
    _against_emulator: bool = PrivateAttr(default=False)  # never from the spec file: set by ``on_emulator``

    @property
    def against_emulator(self) -> bool:
        """This spec's remote ends were pointed at the built-in emulator (``--emulate``)."""
        return self._against_emulator

    def on_emulator(self, updates: dict[str, Any]) -> Self:
        """A copy with ``updates`` (its remote ends at the emulator), known to be against the emulator."""
        copy = self.model_copy(update=updates)
        copy._against_emulator = True
        return copy

    def phase(self, derived: Job) -> Job:
        """``derived`` (a phase of this job, as a job of its own) against the same remote ends as this one."""
        return derived.on_emulator({}) if self.against_emulator else derived

    def state_dir(self, override: Path | None = None) -> Path:
        """``--state-dir``, else ``[run] state_dir``, else ``.bulkcontacts/<job name>`` beside the spec file
        (the loader resolves both against the spec's folder: the same job finds the same state from any
        working directory)."""
        return override or self.run.state_dir or Path(".bulkcontacts") / self.job.name

    def mapping_fingerprint(self) -> str:
        """Hash of everything that shapes what is sent or written: a change refuses a resume."""
        shaping = json.dumps(self._shaping(), sort_keys=True, default=str).encode()
        return hashlib.sha256(shaping).hexdigest()[:16]

    @abstractmethod
    def _shaping(self) -> dict[str, Any]:
        """What shapes this kind of job's output (each kind says)."""


class ImportJob(JobBase):
    kind: ClassVar[JobKind] = "import"
    source: FileSource
    sink: ContactSink

    def _shaping(self) -> dict[str, Any]:
        return _sent(self.mapping, self.sink, self.source.model_dump(mode="json", exclude={"path", "batch_rows"}))


class ExportJob(JobBase):
    kind: ClassVar[JobKind] = "export"
    source: ProviderSource
    sink: FileSink

    @model_validator(mode="after")
    def _normalizable(self) -> ExportJob:
        """However the job is built (a spec file, or Python through the public API)."""
        if self.sink.normalize and not self.source.has_shared_columns:
            raise ValueError(
                f"normalize: a {self.source.type} source's fields are the API's own, so there are no shared "
                "columns to write; remove normalize (the records are written as the API gives them)"
            )
        return self

    def _shaping(self) -> dict[str, Any]:
        # ``max_pages`` is a safety cap: raising it after the export reached it must resume, not start over.
        source = source_identity(self.source, exclude=frozenset({"max_pages"}))
        return {"sink": self.sink.model_dump(mode="json", exclude={"path"}), "source": source}


class MigrateJob(JobBase):
    kind: ClassVar[JobKind] = "migrate"
    source: ProviderSource
    sink: ContactSink

    def _shaping(self) -> dict[str, Any]:
        return _sent(self.mapping, self.sink, source_identity(self.source))


def _sent(mapping: MappingSpec, sink: ContactSink, source: dict[str, Any]) -> dict[str, Any]:
    """What shapes the payloads a job sends. Rampwin's mode is left out: switching create ↔ upsert may
    resume (both send the same payloads); a REST sink's body template and endpoint shape them."""
    shaped = {"mapping": mapping.model_dump(mode="json"), "integration_id": sink.integration_id, "source": source}
    if isinstance(sink, RestSink):
        shaped["sink"] = sink.model_dump(mode="json", include={"path", "method", "params", "body"})
    return shaped


JobSpec = ImportJob | ExportJob | MigrateJob
SendJob = ImportJob | MigrateJob  # the jobs that write contacts (to a Rampwin channel: what ``verify`` checks)
