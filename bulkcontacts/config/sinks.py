"""Where a job writes: a file, or a Rampwin channel."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from bulkcontacts.config.base import Strict
from bulkcontacts.config.sources import Given
from bulkcontacts.errors import UsageError


class FileSink(Strict):
    type: Literal["file"]
    path: Path
    format: Literal["csv", "parquet", "jsonl"] | None = None
    normalize: bool = False  # add provider, provider_id, phone_number, names, email, created_at, updated_at
    neutralize_formulas: bool = True  # CSV cells starting with = + - @ get a leading '

    @property
    def file_format(self) -> str:
        if self.format:
            return self.format
        suffix = self.path.suffix.lower().lstrip(".")
        known = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}
        if suffix not in known:
            raise UsageError(
                f"[sink] path: cannot tell the format of {self.path.name!r}; "
                'end it in .csv, .parquet or .jsonl, or add format = "..."'
            )
        return known[suffix]


class RampwinSink(Strict):
    """A Rampwin channel (``integration_id``, the ``channel_id`` of the upsert endpoint)."""

    type: Literal["rampwin"]
    base_url: str = "https://api.rampwin.com"
    api_key: SecretStr
    integration_id: Given  # sent in the query
    mode: Literal["create", "upsert"] = "create"  # upsert: insertOrUpdate, so a re-run changes nothing twice
    token: SecretStr | None = None  # the list endpoint's JWT: only ``verify`` needs it
    page_size: int = Field(default=100, ge=1, le=1000)  # for ``verify``'s listing of the channel
    lookup_batch: int = Field(default=50, ge=1, le=1000)  # in-doubt rows looked up per request (with ``token``)
    allow_insecure_http: bool = False
