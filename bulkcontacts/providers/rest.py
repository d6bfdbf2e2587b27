"""``[source] type = "rest"``: any JSON list API, described in the job spec, keys named as dlt's ``rest_api``.

The spec gives the endpoint (``base_url``, ``path``, ``method``, ``params``, ``json``), where the records are
(``data_selector``), how pages follow each other (``paginator``, ``paginators.py``), how to authenticate
(``auth``: ``bearer``, ``api_key``, ``http_basic``; secrets as ``${ENV}``), each record's id
(``id_field``) and update time (``updated_field``, the mark of an incremental run, sent back as
``incremental.start_param``). An export from it gets what the built-in providers get: resume after
``kill -9``, strict stop rules, loop detection, fan-out when the paginator allows it and the total is known.

Credentials go only to ``base_url``'s origin: a next link to another scheme, host or port stops the export,
and an ``api_key`` sent in the query is taken out of every next link before it is kept in the checkpoint.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import aiohttp
from pydantic import Field, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.placeholders import placeholders, render, strings
from bulkcontacts.config.rest import ApiKeyAuth, AuthSpec, BasicAuth, BearerAuth, DottedPath, Headers
from bulkcontacts.config.sources import Given, ProviderSource
from bulkcontacts.errors import UsageError
from bulkcontacts.providers.auth import JSON_HEADERS
from bulkcontacts.providers.base import HttpRequest, LoginFailed, PageError, PageRefused, PageResult, Provider, Record
from bulkcontacts.providers.paginators import (
    HeaderLinkPaginator,
    JSONLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PaginatorSpec,
    Position,
    at,
)

MARKS = ("incremental.start_value", "incremental.initial_value")  # what params / json may name (dlt's names)
MARK = re.compile(r"\{(incremental\.[A-Za-z_]+)\}")  # other braces are literal: a query value may be JSON


class Incremental(Strict):
    # The query key sent the newest ``updated_field`` of the last complete run (or name
    # ``"{incremental.start_value}"`` in ``params`` or ``json``, as dlt does).
    start_param: Given | None = None
    initial_value: Given | None = None  # sent on the first run (else the first run is a full one)


class RestSource(ProviderSource):
    type: Literal["rest"]
    base_url: str
    path: Given = Field(pattern=r"^/[^?#]*$")
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, str | int | float | bool] = {}
    body: dict[str, Any] | None = Field(default=None, alias="json")
    data_selector: DottedPath | None = None  # where the records are; none: the body, or its one list
    paginator: PaginatorSpec
    auth: AuthSpec | None = None
    headers: Headers = {}
    id_field: Given = "id"
    updated_field: Given = "updated_at"
    incremental: Incremental | None = None
    page_size: int | None = Field(default=None, ge=1, le=10_000)  # type: ignore[assignment]
    has_shared_columns: ClassVar[bool] = False

    @model_validator(mode="after")
    def _consistent(self) -> RestSource:
        _check_templates(self.params, self.body)
        named = MARKS[0] in placeholders([self.params, self.body], MARK)
        if self.mode == "incremental" and (self.incremental is None or not self.incremental.start_param) and not named:
            raise ValueError(
                'mode = "incremental" needs incremental = { start_param = "…" } (the query key), or '
                '"{incremental.start_value}" as a value of params or json'
            )
        pager = self.paginator
        in_body = [name for name, value in pager.model_dump().items() if name.endswith("_body_path") and value]
        if in_body and self.method != "POST":
            raise ValueError(f'paginator.{in_body[0]} puts the paging in the JSON body: it needs method = "POST"')
        if isinstance(pager, PageNumberPaginator) and pager.stop_after_short_page and self.page_size is None:
            raise ValueError("paginator.stop_after_short_page needs page_size: the records of a full page")
        if isinstance(pager, OffsetPaginator) and self.page_size is not None and self.page_size != pager.limit:
            raise ValueError("page_size and paginator.limit differ: give the page size once, as paginator.limit")
        return self


def _check_templates(params: dict[str, Any], body: dict[str, Any] | None) -> None:
    unknown = sorted(placeholders([params, body], MARK) - set(MARKS))
    if unknown:
        raise ValueError(f"params and json may name {{{MARKS[0]}}} or {{{MARKS[1]}}}, not {{{unknown[0]}}}")
    partial = [value for value in strings([params, body]) if MARK.search(value) and not MARK.fullmatch(value)]
    if partial:
        raise ValueError(f"{partial[0]!r}: a placeholder must be the whole value (left out while it has none)")


@dataclass(frozen=True)
class BuiltIn:
    """What a built-in provider adds to the declaration of its list: its name (messages, the shared columns),
    and how a record becomes the shared columns. Its answers' shape is known, so an answer without the list
    is the server's fault, asked for again (``PageError``), never the spec's (``PageRefused``)."""

    provider: str
    normalize: Callable[[Record], Record]
    # Where an answer's paging fields are, when a dotted path cannot say it (a total that counts records on
    # numbered pages, fields in one of two places, each optional); may raise PageError. None: the paginator's.
    position: Callable[[Any], Position] | None = None


class RestList:
    """The ``ListApi`` of a declared list: its paginator's requests, its records at ``data_selector``."""

    def __init__(self, source: RestSource, since: str | None = None, built_in: BuiltIn | None = None) -> None:
        self.provider = built_in.provider if built_in is not None else "rest"
        self.built_in = built_in
        self.source = source
        self.paginator = source.paginator
        self.random_access = self.paginator.random_access
        self.id_field = source.id_field
        self.updated_field = source.updated_field
        pager = source.paginator
        self.page_size = pager.limit if isinstance(pager, OffsetPaginator) else source.page_size
        self.endpoint = source.base_url.rstrip("/") + source.path
        self._query_key = query_key(source.auth)
        start = source.incremental or Incremental()
        mark = since or start.initial_value if source.mode == "incremental" else None
        marks = dict(zip(MARKS, (mark, start.initial_value), strict=True))
        self._fixed = {key: _text(value) for key, value in render(source.params, marks, MARK).items()}
        self._body: dict[str, Any] | None = render(source.body, marks, MARK) if source.body is not None else None
        if start.start_param is not None and mark is not None:
            self._fixed[start.start_param] = mark

    def request(self, index: int, after: str | None = None) -> HttpRequest:
        ask = self.paginator.ask(index, after)
        secret = self._query_key or {}
        if ask.url is not None:  # a next link carries its own query; only a query-string key is added back
            return HttpRequest(self.source.method, "", params=dict(secret), json=self._body, url=ask.url)
        params = {**self._fixed, **ask.params, **secret}
        return HttpRequest(self.source.method, self.source.path, params=params, json=_with(self._body, ask.body))

    def parse(self, body: Any, headers: Mapping[str, str] | None = None) -> PageResult:
        records = self._records(body)
        hook = self.built_in.position if self.built_in is not None else None
        position = hook(body) if hook is not None else self.paginator.read(body, headers or {})
        following = position.next
        if following is not None and isinstance(self.paginator, JSONLinkPaginator | HeaderLinkPaginator):
            following = self._own_link(following)
        return PageResult(records, position.total_records, position.total_pages, position.has_more, following)

    def is_last(self, index: int, page: PageResult) -> bool:
        pager = self.paginator
        short = isinstance(pager, PageNumberPaginator) and pager.stop_after_short_page and page.has_more is None
        return pager.is_last(index, page) or short and len(page.records) < (self.page_size or 0)

    def normalize(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.built_in is None:  # ExportJob refuses normalize with such a source: only a direct call comes here
            raise UsageError("a rest source's records have no shared columns: remove [sink] normalize")
        return self.built_in.normalize(record)

    def _records(self, body: Any) -> list[dict[str, Any]]:
        wrong = PageRefused if self.built_in is None else PageError
        selector = self.source.data_selector
        found = at(body, selector) if selector is not None else the_list(body)
        if not isinstance(found, list):
            where = f"data_selector {selector!r}" if selector is not None else "the answer"
            shown = _shape(found) if found is not None else f"nothing there; the answer is {_shape(body)}"
            raise wrong(f"{where} is not a list of records ({shown}); set [source] data_selector")
        for number, record in enumerate(found, 1):
            if not isinstance(record, dict):
                raise wrong(f"record {number} is {_shape(record)}, not an object; check [source] data_selector")
            if record.get(self.id_field) is None:
                raise wrong(
                    f"record {number} has no {self.id_field!r} (its keys: {_keys(record)}); set [source] id_field "
                    "to the field that identifies a record"
                )
        return found

    def _own_link(self, link: str) -> str:
        """The next link, absolute; refused when it leaves ``base_url``'s origin (the credentials would
        follow it); a query-string key of ours taken out (it is added back to each request, never kept)."""
        resolved = urlsplit(urljoin(self.endpoint, link))
        home = urlsplit(self.endpoint)
        if (resolved.scheme, resolved.hostname, resolved.port) != (home.scheme, home.hostname, home.port):
            raise PageRefused(
                f"the next link points at {resolved.scheme}://{resolved.netloc}, not at [source] base_url's "
                f"{home.scheme}://{home.netloc}: the credentials are sent to that origin only"
            )
        query = resolved.query
        if self._query_key:
            query = urlencode(
                [pair for pair in parse_qsl(query, keep_blank_values=True) if pair[0] not in self._query_key]
            )
        return urlunsplit((resolved.scheme, resolved.netloc, resolved.path, query, ""))


def _with(body: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON body with ``values`` set at their dotted paths (a copy; tables made where missing)."""
    if not values:
        return body
    result = copy.deepcopy(body) if body is not None else {}
    for path, value in values.items():
        *parents, last = path.removeprefix("$.").split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return result


def the_list(body: Any) -> Any:
    """Without ``data_selector``: a body that is a list, or an object's one list value."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        lists = [key for key, value in body.items() if isinstance(value, list)]
        if len(lists) == 1:
            return body[lists[0]]
        if lists:
            raise PageRefused(f"the answer holds several lists ({', '.join(lists)}): set [source] data_selector")
    return body


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "an object with keys " + _keys(value) if value else "an empty object"
    return "nothing there" if value is None else f"a {type(value).__name__}"


def _keys(record: dict[str, Any], most: int = 12) -> str:
    """A record's keys for a message: the first ``most``, and how many more there are."""
    names = list(record)
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def _text(value: str | int | float | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def query_key(auth: Any) -> dict[str, str] | None:
    """An ``api_key`` sent in the query string, as the parameter it is (None: the key is not sent so)."""
    if isinstance(auth, ApiKeyAuth) and auth.location == "query":
        return {auth.name: auth.api_key.get_secret_value()}
    return None


class RestAuth:
    """The ``auth`` table and the other ``headers`` as request headers; a 401 or 403 means the user must
    change them."""

    can_refresh = False

    def __init__(self, spec: BearerAuth | ApiKeyAuth | BasicAuth | None, headers: Headers | None = None) -> None:
        self.spec = spec
        self.extra = {name: value.get_secret_value() for name, value in (headers or {}).items()}

    async def token(self, session: aiohttp.ClientSession, base_url: str, *, first: bool) -> str:
        if not first:
            raise LoginFailed("the API refused the credentials (HTTP 401); check [source] auth")
        return ""  # the secrets stay in the spec object; ``headers`` reads them

    def headers(self, token: str) -> dict[str, str]:
        spec, headers = self.spec, {"accept": JSON_HEADERS["accept"], **self.extra}
        if isinstance(spec, BearerAuth):
            headers["Authorization"] = f"Bearer {spec.token.get_secret_value()}"
        elif isinstance(spec, ApiKeyAuth) and spec.location == "header":
            headers[spec.name] = spec.api_key.get_secret_value()
        elif isinstance(spec, BasicAuth):
            pair = f"{spec.username}:{spec.password.get_secret_value()}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers


PROVIDER = Provider(
    name="rest",
    title="the REST API",
    source_model=RestSource,
    list_api=RestList,
    auth=lambda source: RestAuth(source.auth, source.headers),
    default_mapping={},  # the API's field names are the user's to map
)
