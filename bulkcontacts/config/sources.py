"""The file source and what every provider source shares (each provider's own model is in its module)."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field, SecretStr, field_validator, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.env import SECRET_KEYS
from bulkcontacts.errors import UsageError

ID_CHARACTER = re.compile(r"[A-Za-z0-9._~:@-]")
# ISO 8601's extended form, as the providers document their dates: a date, or a date and a time (hours and
# minutes at least; seconds; a "." fraction), with "Z" or a "±hh:mm" offset. Python's ``fromisoformat``
# takes more (basic "20240508", week dates, hour-only times, "+05", "," fractions, a space before the offset).
EXTENDED_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?")


def iso_8601(value: str) -> str:
    """A date or date-time in ISO 8601's extended form (``2024-05-08``, ``2024-05-08T12:45:03Z``, ``…+05:30``)."""
    forms = '"2024-05-08", "2024-05-08T12:45", "2024-05-08T12:45:03Z" or "2024-05-08T12:45:03.250+05:30"'
    if not EXTENDED_ISO.fullmatch(value):
        raise ValueError(f"must be an ISO 8601 date or date-time in the extended form the APIs check: {forms}")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"is not a date that exists ({error})") from None
    return value


def path_id(value: str) -> str:
    """An id that goes into a request's path: letters, digits and ``- _ . ~ : @``, nothing that would change
    the path or start its query."""
    odd = next((character for character in value if not ID_CHARACTER.fullmatch(character)), None)
    if not value or odd is not None:
        found = "it is empty" if not value else f"found {odd!r}"
        raise ValueError(f"must be an id: letters, digits and - _ . ~ : @ only ({found}); copy it from the app")
    return value


def given(value: str) -> str:
    """A value sent as it is (a query parameter, a header): not empty, no space around it, no control character."""
    if not value.strip():
        raise ValueError("is empty: give a value, or leave the key out")
    if value != value.strip():
        raise ValueError(f"has spaces around it ({value!r}): remove them")
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValueError("holds a control character (a line break?): remove it")
    return value


def email_address(value: str) -> str:
    given(value)
    if "@" not in value:
        raise ValueError(f"{value!r} is not an email address (the login's email)")
    return value


PathId = Annotated[str, AfterValidator(path_id)]
Given = Annotated[str, AfterValidator(given)]
IsoDateTime = Annotated[str, AfterValidator(iso_8601)]


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
    has_shared_columns: ClassVar[bool] = True  # ``[sink] normalize`` can write the shared columns


class LoginCredentials(ProviderSource):
    """A ready token, or email + password to log in (and log in again when the token expires)."""

    token: SecretStr | None = None
    email: Annotated[str, AfterValidator(email_address)] | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _credentials(self) -> LoginCredentials:
        if self.token is None and (self.email is None or self.password is None):
            raise ValueError('give token = "${TOKEN}", or email and password = "${PASSWORD}" to log in')
        return self


def instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Where a provider is reached (the emulator's port changes every run) is not what identifies its data.
NOT_IDENTIFYING = frozenset({"base_url", "allow_insecure_http"})


def source_identity(model: BaseModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """What identifies a provider source's data: provider, account/channel/list ids and filters; never
    secrets, the login's email or the address the API was reached at."""
    return model.model_dump(mode="json", exclude=set(SECRET_KEYS | NOT_IDENTIFYING | exclude) | {"email", "auth"})
