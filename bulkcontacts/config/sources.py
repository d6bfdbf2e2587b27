"""The file source and what every provider source shares (each provider's own model is in its module)."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, SecretStr, field_validator, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.env import SECRET_KEYS
from bulkcontacts.errors import UsageError


class FileSource(Strict):
    type: Literal["file"]
    path: Path
    format: Literal["csv", "parquet", "jsonl", "vcard"] | None = None
    preset: Literal["google-contacts", "outlook", "hubspot", "vcard"] | None = None  # the export's [mapping]
    delimiter: str = ","
    quote_char: str = '"'
    encoding: str = "utf-8"
    batch_rows: int = Field(default=5_000, ge=1, le=1_000_000)

    @field_validator("delimiter", "quote_char")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("must be exactly one character")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError('is not an encoding Python knows; e.g. "utf-8", "cp1252", "latin-1", "utf-16"') from None
        return value

    @property
    def file_format(self) -> str:
        if self.format:
            return self.format
        if self.preset == "vcard":
            return "vcard"
        suffix = self.path.suffix.lower().lstrip(".")
        if suffix in ("gz", "zst", "zip", "bz2", "xz"):
            raise UsageError(
                f"[source] path: {self.path.name!r} is compressed; decompress it first and point "
                "[source] path at the result"
            )
        known = {
            "csv": "csv",
            "tsv": "csv",
            "txt": "csv",
            "parquet": "parquet",
            "pq": "parquet",
            "jsonl": "jsonl",
            "ndjson": "jsonl",
            "vcf": "vcard",
            "vcard": "vcard",
        }
        if suffix not in known:
            raise UsageError(
                f"[source] path: cannot tell the format of {self.path.name!r}; "
                'add format = "csv", "parquet", "jsonl" or "vcard"'
            )
        return known[suffix]


class ProviderSource(Strict):
    """What every provider source has: its type (the registry's name for it), where, how many per page, a
    safety cap, full or incremental. Each provider's module subclasses it with its own keys."""

    type: str
    base_url: str
    page_size: int = Field(default=100, ge=1, le=1000)
    max_pages: int = Field(default=1_000_000, ge=1)
    mode: Literal["full", "incremental"] = "full"
    phone_region: str = "IN"  # for the normalised phone_number column
    allow_insecure_http: bool = False


class LoginCredentials(ProviderSource):
    """A ready token, or email + password to log in (and log in again when the token expires)."""

    token: SecretStr | None = None
    email: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _credentials(self) -> LoginCredentials:
        if self.token is None and (self.email is None or self.password is None):
            raise ValueError('give token = "${TOKEN}", or email and password = "${PASSWORD}" to log in')
        return self


def iso_8601(value: str) -> str:
    """A date or date-time in ISO 8601 (``2024-05-08``, ``2024-05-08T12:45:03Z``, ``...+05:30``)."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError('must be an ISO 8601 date or date-time, e.g. "2024-05-08" or "2024-05-08T12:45:03Z"') from None
    return value


IsoDateTime = Annotated[str, AfterValidator(iso_8601)]


def instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Where a provider is reached (the emulator's port changes every run) is not what identifies its data.
NOT_IDENTIFYING = frozenset({"base_url", "allow_insecure_http"})


def source_identity(model: BaseModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """What identifies a provider source's data: provider, account/channel/list ids and filters; never
    secrets, the login's email or the address the API was reached at."""
    return model.model_dump(mode="json", exclude=set(SECRET_KEYS | NOT_IDENTIFYING | exclude) | {"email"})
