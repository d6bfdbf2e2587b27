"""What a provider is: one ``Provider`` object per provider, held by the registry (``registry.py``).

A provider says how its ``[source]`` table looks (its pydantic model), how it authenticates, how to ask for
page ``index`` (0-based) of its list endpoint, how to read a page and what its stop rule is, how its records
become shared columns (exports with ``normalize``) and flat rows (migrations), and its default mapping onto
Rampwin's create payload. ``paging.PagePlan`` drives any list API; nothing else needs to know the provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from bulkcontacts.config.sources import ProviderSource

if TYPE_CHECKING:  # loading a spec needs the providers' models, not the HTTP stack
    import aiohttp


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    url: str | None = None  # a whole URL (a next link) instead of the base URL and ``path``


@dataclass(frozen=True)
class PageResult:
    """One page as the provider described it."""

    records: list[dict[str, Any]]
    total_records: int | None = None
    total_pages: int | None = None
    has_more: bool | None = None
    next: str | None = None  # a sequential list's cursor or link to the page after this one


class PageError(ValueError):
    """A 200 answer whose body is not a page of this provider (asking again may give a good one)."""


class PageRefused(PageError):
    """A 200 answer the spec cannot read (no list where ``data_selector`` points, a record without its id, a
    next link to another origin): asking again gives the same; the user must change the spec."""


class ListApi(Protocol):
    """A provider's list endpoint: request shapes, page parsing and its stop rule. Pure."""

    provider: str
    id_field: str
    updated_field: str  # the field an incremental run's high-water mark is taken from
    random_access: bool  # any page can be asked for by number (else each needs the one before: no fan-out)

    @property
    def page_size(self) -> int | None:
        """Records in a full page (None: not known, as for a cursor)."""
        ...

    def request(self, index: int, after: str | None = None) -> HttpRequest:
        """Page ``index``'s request; ``after``: the ``next`` of page ``index - 1`` (sequential lists only)."""
        ...

    def parse(self, body: Any, headers: Mapping[str, str] | None = None) -> PageResult: ...

    def is_last(self, index: int, page: PageResult) -> bool:
        """The provider's own rule that ``page`` is the final one."""
        ...

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        """The shared columns (provider_id, phone_number, names, email, created_at, updated_at)."""
        ...


class LoginFailed(Exception):
    """The provider will not give a token for these credentials: the user must change them."""


class LoginUnavailable(Exception):
    """The login endpoint could not be reached or failed transiently: running again may work."""


class Auth(Protocol):
    """How one source authenticates: where its first token comes from, how a new one is got after a 401,
    and the headers that carry it."""

    @property
    def can_refresh(self) -> bool:
        """Whether a 401 can be answered by getting a new token (else the run stops for new credentials)."""
        ...

    async def token(self, session: aiohttp.ClientSession, base_url: str, *, first: bool) -> str:
        """The token to use (``first``: none was used yet); raises ``LoginFailed`` or ``LoginUnavailable``."""
        ...

    def headers(self, token: str) -> dict[str, str]: ...


Source = TypeVar("Source", bound=ProviderSource)
Record = dict[str, Any]


def keep(record: Record) -> Record:
    """A record that is already flat."""
    return record


def no_scope(source: Any) -> str | None:
    return None


@dataclass(frozen=True)
class Provider(Generic[Source]):
    """Everything bulkcontacts knows about one provider. ``name`` is its ``[source] type``."""

    name: str
    title: str  # as people write it, for messages ("Kore.ai")
    source_model: type[Source]
    list_api: Callable[[Source, str | None], ListApi]  # (source, incremental high-water mark or None)
    auth: Callable[[Source], Auth]
    default_mapping: Mapping[str, Any]  # a [mapping] table for migrations; the job's own keys go over it
    flatten: Callable[[Record], Record] = keep  # a record as one flat row (a migration's staged rows)
    # Which of the emulator's scopes holds this source's contacts (None: the emulator's default scope).
    emulator_scope: Callable[[Source], str | None] = no_scope
