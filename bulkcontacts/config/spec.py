"""Load and validate job specs (TOML), with ``${ENV}`` interpolation for secrets.

Every problem becomes a ``UsageError`` whose one-line message names the table and key (``[sink] api_key``)
and the fix, before any request is sent.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import ipaddress
import json
import os
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from yarl import URL

from bulkcontacts.errors import UsageError

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SECRET_KEYS = frozenset({"api_key", "token", "password", "jwt", "client_secret"})
RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
RATE_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_rate(value: str | float | int) -> float:
    """``"20/s"``, ``"600/min"``, ``"3600/h"`` or a plain number (per second) → requests per second."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        per_second = float(value)
    else:
        match = RATE.match(str(value))
        if not match:
            raise ValueError(f'rate {value!r} is not like "20/s", "600/min" or "3600/h"')
        per_second = float(match.group(1)) / RATE_UNITS[match.group(2)]
    if per_second <= 0:
        raise ValueError("rate must be above zero")
    return per_second


class JobTable(Strict):
    name: str

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not JOB_NAME.match(name):
            raise ValueError("use letters, digits, '.', '_' or '-' (it names the state directory)")
        return name


class FileSource(Strict):
    type: Literal["file"]
    path: Path
    format: Literal["csv", "parquet", "jsonl"] | None = None
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
        }
        if suffix not in known:
            raise UsageError(
                f'[source] path: cannot tell the format of {self.path.name!r}; add format = "csv", "parquet" or "jsonl"'
            )
        return known[suffix]


class ProviderSource(Strict):
    """What every provider source has: where, how many per page, a safety cap, full or incremental."""

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


class RampwinCondition(Strict):
    """One condition of a Rampwin ``fitlers`` group: ``{field_name, operator, field_value}``."""

    field_name: str = Field(min_length=1)
    operator: str = Field(min_length=1)  # "equals", "contains", ... (the list is not documented in full)
    field_value: str | int | float | bool


class DateRange(Strict):
    """Tether's ``dateRange`` (on createdAt, inferred): sent as a JSON string."""

    start: IsoDateTime | None = None
    end: IsoDateTime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.start is None and self.end is None:
            raise ValueError("give start, end or both")
        if self.start and self.end and _instant(self.start) > _instant(self.end):
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class RampwinSource(ProviderSource):
    type: Literal["rampwin"]
    base_url: str = "https://api.rampwin.com"
    token: SecretStr
    integration_id: str = Field(min_length=1)
    show_only_users: bool = False
    # Sent as "fitlers", the API's spelling: groups of conditions, each group all-of.
    filters: list[list[RampwinCondition]] = []
    sort: Literal["asc", "desc"] | None = None  # sortFilter on updatedAt


class TetherSource(LoginCredentials):
    type: Literal["tether"]
    page_size: int = Field(default=50, ge=1, le=1000)
    owner_filter: str = "all"
    status: str | None = None
    pipeline_id: str | None = None
    pipeline_stage: str | None = None
    source: str | None = None
    lead_source: str | None = None
    owner: str | None = None
    assignee: str | None = None
    message_status: str | None = None
    date_range: DateRange | None = None  # {start, end} on createdAt (inferred)


class KoreSource(ProviderSource):
    type: Literal["kore"]
    base_url: str = "https://platform.kore.ai"
    page_size: int = Field(default=50, ge=1, le=100)
    stream_id: str = Field(min_length=1)
    contact_list_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    iid: str = Field(min_length=1)
    jwt: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _credentials(self) -> KoreSource:
        if self.jwt is None and (self.client_id is None or self.client_secret is None):
            raise ValueError('give jwt = "${KORE_JWT}", or client_id and client_secret = "${KORE_CLIENT_SECRET}"')
        if self.mode == "incremental":
            raise ValueError('Kore.ai\'s contact list cannot be filtered by update time: use mode = "full"')
        return self


class SmartfloSource(LoginCredentials):
    type: Literal["smartflo"]
    base_url: str = "https://api-smartflo.tatateleservices.com"
    page_size: int = Field(default=100, ge=1, le=100)
    contact_group_id: str | None = None
    updated_after: IsoDateTime | None = None


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
    integration_id: str = Field(min_length=1)
    mode: Literal["create", "upsert"] = "create"  # upsert: insertOrUpdate, so a re-run changes nothing twice
    token: SecretStr | None = None  # the list endpoint's JWT: only ``verify`` needs it
    page_size: int = Field(default=100, ge=1, le=1000)  # for ``verify``'s listing of the channel
    lookup_batch: int = Field(default=50, ge=1, le=1000)  # in-doubt rows looked up per request (with ``token``)
    allow_insecure_http: bool = False


SourceSpec = Annotated[
    FileSource | RampwinSource | TetherSource | KoreSource | SmartfloSource, Field(discriminator="type")
]
SinkSpec = Annotated[RampwinSink | FileSink, Field(discriminator="type")]

CUSTOM_TYPES = Literal["string", "number", "integer", "boolean", "date"]


class TagsSpec(Strict):
    column: str | None = None
    separator: str = ","
    columns: list[str] = []


class MappingSpec(Strict):
    """Source columns → Rampwin create payload. Core fields name a source column each."""

    phone_number: str | None = None
    full_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    city: str | None = None
    state: str | None = None
    zipcode: str | None = None
    address: str | None = None
    remarks: str | None = None
    default_country: str = "IN"
    custom_attributes: Literal["rest", "none"] | list[str] = "rest"
    rename: dict[str, str] = {}
    types: dict[str, CUSTOM_TYPES] = {}
    tags: TagsSpec = TagsSpec()
    ignore: list[str] = []  # columns that never become custom attributes
    reject_when_set: list[str] = []  # a row with a value in any of these columns is rejected (e.g. deleted_at)
    missing_name: Literal["reject", "phone"] = "reject"  # "phone": a contact with no name is named by its number
    reject_duplicate_phones: bool = True

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str) -> str:
        import phonenumbers

        code = value.upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f'{value!r} is not a two-letter region code such as "IN" or "US"')
        return code


AUTO_RATE_CEILING = 10_000.0
AUTO_RATE_START = 50.0


class RunSpec(Strict):
    rate: float = 10.0
    fetch_rate: float | None = None  # a migration's fetch from the provider (default: rate)
    adaptive: bool = False  # follow the server: back off on 429 / full-window headers, speed up otherwise
    concurrency: int = Field(default=8, ge=1, le=512)
    max_attempts: int = Field(default=6, ge=1, le=100)
    backoff_base: float = Field(default=0.5, gt=0)
    backoff_max: float = Field(default=30.0, gt=0)
    request_timeout: float = Field(default=30.0, gt=0)
    give_up_after: float = Field(default=300.0, gt=0)
    rate_headroom: float = Field(default=0.02, ge=0, lt=0.5)
    checkpoint_every: float = Field(default=0.5, gt=0)
    neutralize_formulas: bool = True  # rejected.csv: cells starting with = @ (or + - and not a number) get a '
    state_dir: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _auto(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("rate") == "auto":
            return {**values, "rate": AUTO_RATE_CEILING, "adaptive": True}
        return values

    @field_validator("rate", "fetch_rate", mode="before")
    @classmethod
    def _rate(cls, value: Any) -> float | None:
        return None if value is None else parse_rate(value)


class JobSpec(Strict):
    job: JobTable
    source: SourceSpec
    sink: SinkSpec
    mapping: MappingSpec = MappingSpec()
    run: RunSpec = RunSpec()

    @property
    def kind(self) -> str:
        """ "import" (file → Rampwin), "export" (provider → file) or "migrate" (provider → Rampwin)."""
        from_file, to_file = isinstance(self.source, FileSource), isinstance(self.sink, FileSink)
        if from_file and not to_file:
            return "import"
        if not from_file and to_file:
            return "export"
        if not from_file and not to_file:
            return "migrate"
        raise UsageError(
            'a file source with a file sink is not a job bulkcontacts runs; use type = "file" → '
            '"rampwin" (import), a provider → "file" (export) or a provider → "rampwin" (migrate)'
        )

    @property
    def import_ends(self) -> tuple[FileSource, RampwinSink]:
        """An import's file source and Rampwin sink (a migration's send phase is an import too)."""
        source, sink = self.source, self.sink
        if not isinstance(source, FileSource) or not isinstance(sink, RampwinSink):
            raise UsageError("this step needs a file source and a Rampwin sink")
        return source, sink

    def state_dir(self, override: Path | None = None) -> Path:
        """``--state-dir``, else ``[run] state_dir``, else ``.bulkcontacts/<job name>`` beside the spec file
        (``load_spec`` resolves both against the spec's folder: the same job finds the same state from
        any working directory)."""
        return override or self.run.state_dir or Path(".bulkcontacts") / self.job.name

    def mapping_fingerprint(self) -> str:
        """Hash of everything that shapes what is sent or written: a change refuses a resume."""
        if self.kind == "export":
            shaping: dict[str, Any] = {
                "sink": self.sink.model_dump(mode="json", exclude={"path"}),
                "source": source_identity(self.source),
            }
        else:
            assert isinstance(self.sink, RampwinSink)
            # The sink's mode is left out: switching create ↔ upsert may resume (both send the same payloads).
            shaping = {
                "mapping": self.mapping.model_dump(mode="json"),
                "integration_id": self.sink.integration_id,
                "source": (
                    self.source.model_dump(mode="json", exclude={"path", "batch_rows"})
                    if isinstance(self.source, FileSource)
                    else source_identity(self.source)
                ),
            }
        return hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()[:16]


# Where a provider is reached (the emulator's port changes every run) is not what identifies its data.
NOT_IDENTIFYING = frozenset({"base_url", "allow_insecure_http"})


def source_identity(model: BaseModel, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """What identifies a provider source's data: provider, account/channel/list ids and filters; never
    secrets, the login's email or the address the API was reached at."""
    return model.model_dump(mode="json", exclude=set(SECRET_KEYS | NOT_IDENTIFYING | exclude) | {"email"})


TABLES = ("job", "source", "sink", "mapping", "run")


def load_spec(path: Path, *, emulate: bool = False) -> JobSpec:
    """Read, interpolate and validate a job spec; raise ``UsageError`` naming the first problem."""
    raw = _read_toml(path)
    unknown = [name for name in raw if name not in TABLES]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, TABLES, n=1)
        hint = f"did you mean [{close[0]}]?" if close else f"the tables are {', '.join(f'[{t}]' for t in TABLES)}"
        raise UsageError(f"job spec {path}: [{name}] is not a table bulkcontacts knows; {hint}")
    for table in TABLES:
        if table in raw and not isinstance(raw[table], dict):
            raise UsageError(f"job spec {path}: {table} must be a table ([{table}]), not a single value")
    for table in ("job", "source", "sink"):
        if table not in raw:
            raise UsageError(f"job spec {path}: the [{table}] table is missing; see jobs/import-contacts.toml")
    missing: list[str] = []
    raw = _interpolate(raw, (), emulate, missing)
    if missing:
        names = sorted(set(missing))
        exports = " ".join(f"{name}=..." for name in names)
        raise UsageError(
            f"job spec {path}: environment variable{'s' if len(names) > 1 else ''} "
            f"{', '.join(names)} {'are' if len(names) > 1 else 'is'} not set; export {exports} "
            "(or try the job with --emulate)"
        )
    try:
        spec = JobSpec.model_validate(raw)
    except ValidationError as error:
        raise UsageError(f"job spec {path}: {_describe(error)}") from None
    spec = _resolve_paths(spec, path.parent)
    _check_transport(spec)
    return spec


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"job spec {path} does not exist{_spec_hint(path)}") from None
    except IsADirectoryError:
        raise UsageError(f"job spec {path} is a folder; give the spec file, e.g. {path / 'job.toml'}") from None
    except UnicodeDecodeError:
        raise UsageError(f"job spec {path} is not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"job spec {path} cannot be read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"job spec {path} is not valid TOML: {error}") from None


def _spec_hint(path: Path) -> str:
    """For ``run import-contacts``: the spec files it may have meant."""
    name = path.name if path.suffix == ".toml" else f"{path.name}.toml"
    candidates = [
        candidate for candidate in (Path("jobs") / name, Path(name), path.parent / "jobs" / name) if candidate.is_file()
    ]
    if candidates:
        return f"; did you mean {candidates[0]}?"
    return "; a job is run by its spec file, e.g. jobs/import-contacts.toml"


def _interpolate(node: Any, where: tuple[str, ...], emulate: bool, missing: list[str]) -> Any:
    if isinstance(node, dict):
        return {key: _interpolate(value, (*where, key), emulate, missing) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolate(value, where, emulate, missing) for value in node]
    if not isinstance(node, str):
        return node
    key = where[-1] if where else ""
    if key in SECRET_KEYS and not ENV_REFERENCE.fullmatch(node.strip()):
        raise UsageError(
            f'{_name(where)}: secrets are read from the environment; write {key} = "${{NAME}}" '
            "and export NAME, instead of putting the value in the file"
        )

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = os.environ.get(name)
        if value is None or value == "":
            if not emulate:
                missing.append(name)
            return f"emulated-{name.lower()}"
        return value

    return ENV_REFERENCE.sub(substitute, node)


def _name(where: tuple[str | int, ...] | list[str | int]) -> str:
    if not where:
        return "spec"
    table, *rest = where
    return f"[{table}] " + ".".join(str(part) for part in rest) if rest else f"[{table}]"


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = list(first["loc"])
    if len(loc) > 2 and loc[0] in ("source", "sink"):
        del loc[1]  # the discriminator tag pydantic inserts, e.g. ("source", "file", "path")
    kind, message = first["type"], first["msg"]
    if kind == "extra_forbidden":
        return f"{_name(loc)}: unknown key; remove it or check its spelling"
    if kind == "missing":
        return f"{_name(loc)}: required key is missing; add it"
    if kind == "union_tag_invalid":
        return f"{_name(loc)} type: {first['ctx']['tag']!r} is not a known type ({first['ctx']['expected_tags']})"
    if kind == "union_tag_not_found":
        return f"{_name(loc)}: add a type key"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f'{_name(loc)}: must be a table, e.g. {loc[-1]} = {{ key = "value" }}'
    message = message.removeprefix("Value error, ").replace("Input should be", "must be")
    shown = first.get("input")
    if loc and loc[-1] in SECRET_KEYS or isinstance(shown, (dict, list)):
        return f"{_name(loc)}: {message}"  # never echo a secret or a whole table
    return f"{_name(loc)}: {message} (got {shown!r})"


def _resolve_paths(spec: JobSpec, base: Path) -> JobSpec:
    """Every path relative to the spec's folder, written plainly (``exports/x.csv``, not
    ``jobs/../exports/x.csv``); the state directory too, by default ``.bulkcontacts/<name>`` there."""

    def beside(path: Path) -> Path:
        return Path(os.path.normpath(base / path))

    updates: dict[str, Any] = {}
    source, sink = spec.source, spec.sink
    if isinstance(source, FileSource):
        updates["source"] = source.model_copy(update={"path": beside(source.path)})
    if isinstance(sink, FileSink):
        updates["sink"] = sink.model_copy(update={"path": beside(sink.path)})
    state = spec.run.state_dir or Path(".bulkcontacts") / spec.job.name
    updates["run"] = spec.run.model_copy(update={"state_dir": beside(state)})
    return spec.model_copy(update=updates)


def _check_transport(spec: JobSpec) -> None:
    _ = spec.kind  # refuses a source/sink pair that is not a job
    for table, end in (("source", spec.source), ("sink", spec.sink)):
        if isinstance(end, ProviderSource | RampwinSink):
            check_base_url(f"[{table}] base_url", end.base_url, allow_insecure_http=end.allow_insecure_http)


def check_base_url(key: str, url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse a base URL that would leak credentials: decided on the *parsed* URL (yarl, as aiohttp parses
    it), never on its text, so ``http://localhost.example.com`` or ``http://127.0.0.1.evil.net`` is not
    loopback, and user-info before the host is refused outright."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as error:
        raise UsageError(f"{key}: {url!r} is not a URL ({error})") from None
    if parsed.scheme not in ("http", "https"):
        raise UsageError(
            f"{key}: the scheme {parsed.scheme or '(none)'!r} is not allowed; write https://host[:port][/path]"
        )
    if not parsed.host:
        raise UsageError(f"{key}: {url!r} names no host; write https://host[:port][/path]")
    if parsed.user is not None or parsed.password is not None:
        raise UsageError(
            f"{key}: user-info before the host (user:password@) is refused: it would be sent to "
            "the server in clear; remove it and give credentials with the spec's own keys"
        )
    if parsed.query_string or parsed.fragment:
        raise UsageError(f"{key}: {url!r} carries a query or fragment; give the API's root only")
    if parsed.scheme == "http" and not is_loopback(parsed.host) and not allow_insecure_http:
        raise UsageError(
            f"{key}: plain http:// to {parsed.host} would send credentials in clear text; use "
            "https:// (or set allow_insecure_http = true)"
        )


def is_loopback(host: str) -> bool:
    """An IP literal in 127.0.0.0/8, ``::1``, or exactly ``localhost``; never a name that merely starts so."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
