"""A generic contact API, one list endpoint per paging style, for ``[source] type = "rest"`` (``/rest/``).

The same contacts (scope ``demo``), paged five ways, each in the shape of a well-known API:

- ``GET /v1/contacts/pages?page=1&per_page=N`` → ``{"data": [...], "meta": {"page", "total_pages"}}``: page
  numbers from 1 with a page count (``page_number``, ``base_page = 1``, ``total_path = "meta.total_pages"``);
- ``GET /v1/contacts/offset?offset=0&limit=N`` → ``{"items": [...], "total": T}`` (``offset``, a record count;
  ``updated_after=ISO`` keeps the contacts updated after it);
- ``GET /v1/contacts/cursor?after=C&limit=N`` → ``{"results": [...], "paging": {"next": {"after": "…"}}}``,
  as HubSpot's CRM lists (``cursor``, ``cursor_path = "paging.next.after"``, ``cursor_param = "after"``);
- ``GET /v1/contacts/links?limit=N&page_token=T`` → ``{"records": [...], "links": {"next": URL}}``
  (``json_link``, ``next_url_path = "links.next"``);
- ``GET /v1/contacts/header?per_page=N&since=ID`` → a bare JSON list and ``Link: <URL>; rel="next"``, as
  GitHub's lists (``header_link``).

and a create endpoint for ``[sink] type = "rest"`` (scope ``imported``):

- ``POST /v1/contacts`` with a JSON object whose ``phone`` is E.164 (``+digits``) → 201 ``{"id", "phone", …}``;
  a phone already there → 409 ``{"error": "conflict", "id": …}``; no or a bad ``phone`` → 422;
- ``GET /v1/contacts/search?phone=+91…`` → ``{"results": [...]}`` (none or the one contact).

Every endpoint takes ``Authorization: Bearer …``, ``Authorization: Basic …``, an ``X-API-Key`` header or an
``api_key`` query parameter (any non-empty value, or the emulator's ``token`` / ``api_key`` / ``password``
settings); anything else is a 401. Cursors and tokens are opaque (base64 of the position), stable across
restarts of the emulator: the store only grows at its end.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bulkcontacts_emulator.registry import Emulated
from bulkcontacts_emulator.seed_data import FIRST, LAST
from bulkcontacts_emulator.state import RAW_DOCUMENTS, EmulatorState, json_with_raw
from bulkcontacts_emulator.store import DuplicateContact, new_object_id, now_iso

PROVIDER = "rest"
SCOPE = "demo"
WRITTEN = "imported"  # where the create endpoint keeps what it is sent
TOO_MANY = {"error": "rate_limited", "message": "Too many requests"}
MAX_PAGE = 100
Handler = Callable[[EmulatorState, web.Request], Awaitable[web.Response]]


def routes(state: EmulatorState) -> list[web.RouteDef]:
    return [
        web.get("/v1/contacts/pages", _signed_in(state, _pages)),
        web.get("/v1/contacts/offset", _signed_in(state, _offset)),
        web.get("/v1/contacts/cursor", _signed_in(state, _cursor)),
        web.get("/v1/contacts/links", _signed_in(state, _links)),
        web.get("/v1/contacts/header", _signed_in(state, _header)),
        web.post("/v1/contacts", _signed_in(state, _create)),
        web.get("/v1/contacts/search", _signed_in(state, _search)),
    ]


def _refusal(message: str, status: int = 400) -> web.Response:
    return web.json_response(
        {"error": "bad_request" if status == 400 else "unauthorized", "message": message}, status=status
    )


def _signed_in(state: EmulatorState, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """``handler`` behind the API's credential check (a 401 for a request without good ones)."""

    async def checked(request: web.Request) -> web.Response:
        if not _authorized(state, request):
            return _refusal("invalid credentials", 401)
        return await handler(state, request)

    return checked


def _authorized(state: EmulatorState, request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return state.accepts_token(header[7:])
    if header.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(user) and bool(password) and state.settings.password in (None, password)
    return state.accepts_api_key(request.headers.get("X-API-Key") or request.query.get("api_key"))


def _number(request: web.Request, name: str, default: int, least: int, most: int | None = None) -> int:
    text = request.query.get(name, str(default))
    if not text.isdigit() or int(text) < least or (most is not None and int(text) > most):
        bound = f" and {most}" if most is not None else ""
        raise web.HTTPBadRequest(text=f'{{"message": "{name} must be a number between {least}{bound}"}}',
                                 content_type="application/json")  # fmt: skip
    return int(text)


def _window(state: EmulatorState, offset: int, size: int) -> tuple[list[str], int]:
    """The stored documents ``offset``… (as JSON text), and how many there are in all."""
    total = state.store.count(PROVIDER, SCOPE)
    start, count = state.page_window(offset, size)
    return state.store.page_raw(PROVIDER, SCOPE, start, count), total


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(f"o:{position}".encode()).decode().rstrip("=")


def _position(token: str | None) -> int | None:
    """The position a cursor or page token stands for (None: not one of ours)."""
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    kind, _, value = text.partition(":")
    return int(value) if kind == "o" and value.isdigit() else None


async def _pages(state: EmulatorState, request: web.Request) -> web.Response:
    page, size = _number(request, "page", 1, 1), _number(request, "per_page", 25, 1, MAX_PAGE)
    documents, total = _window(state, (page - 1) * size, size)
    meta = {"page": page, "per_page": size, "total_pages": -(-total // size)}
    return json_with_raw({"data": RAW_DOCUMENTS, "meta": meta}, documents)


async def _offset(state: EmulatorState, request: web.Request) -> web.Response:
    offset, limit = _number(request, "offset", 0, 0), _number(request, "limit", 25, 1, MAX_PAGE)
    newer = request.query.get("updated_after")
    if newer is None:
        documents, total = _window(state, offset, limit)
        return json_with_raw({"items": RAW_DOCUMENTS, "total": total}, documents)
    start, count = state.page_window(offset, limit)
    choose = partial(_updated_after, newer)  # kept by the store: later pages cost a page each
    total, raw = state.store.chosen(PROVIDER, SCOPE, ("updated_after", newer), choose, start, count)
    return web.json_response({"items": [json.loads(doc) for doc in raw], "total": total})


def _updated_after(newer: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc.get("updated_at", "") > newer]


async def _cursor(state: EmulatorState, request: web.Request) -> web.Response:
    position, limit = _position(request.query.get("after")), _number(request, "limit", 25, 1, MAX_PAGE)
    if position is None:
        return _refusal("after is not a cursor this API gave")
    documents, total = _window(state, position, limit)
    body: dict[str, Any] = {"results": RAW_DOCUMENTS}
    if position + limit < total and documents:
        body["paging"] = {"next": {"after": _token(position + len(documents))}}
    return json_with_raw(body, documents)


async def _links(state: EmulatorState, request: web.Request) -> web.Response:
    position, limit = _position(request.query.get("page_token")), _number(request, "limit", 25, 1, MAX_PAGE)
    if position is None:
        return _refusal("page_token is not a token this API gave")
    documents, total = _window(state, position, limit)
    following = position + len(documents)
    next_url = _url(request, limit=limit, page_token=_token(following)) if following < total and documents else None
    return json_with_raw({"records": RAW_DOCUMENTS, "links": {"self": str(request.url), "next": next_url}}, documents)


async def _header(state: EmulatorState, request: web.Request) -> web.Response:
    since, size = _number(request, "since", 0, 0), _number(request, "per_page", 25, 1, MAX_PAGE)
    documents, total = _window(state, since, size)
    response = web.Response(text="[" + ",".join(documents) + "]", content_type="application/json")
    following = since + len(documents)
    if following < total and documents:
        following_url, first_url = _url(request, since=following, per_page=size), _url(request, since=0, per_page=size)
        response.headers["Link"] = f'<{following_url}>; rel="next", <{first_url}>; rel="first"'
    return response


async def _create(state: EmulatorState, request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    phone = body.get("phone") if isinstance(body, dict) else None
    if not isinstance(phone, str) or not phone.startswith("+") or not phone[1:].isdigit():
        return web.json_response({"error": "validation", "message": "phone must be E.164 (+digits)"}, status=422)
    document = {**body, "_id": new_object_id(), "created_at": now_iso()}
    try:
        state.store.insert(PROVIDER, WRITTEN, phone[1:], document)
    except DuplicateContact:
        existing = state.store.by_phones(PROVIDER, WRITTEN, [phone[1:]])
        found = existing[0]["_id"] if existing else None
        return web.json_response({"error": "conflict", "message": "a contact has this phone", "id": found}, status=409)
    state.after_commit(request)
    return web.json_response({"id": document["_id"], **body}, status=201)


async def _search(state: EmulatorState, request: web.Request) -> web.Response:
    phone = request.query.get("phone", "")
    if not phone.startswith("+") or not phone[1:].isdigit():
        return _refusal("phone must be E.164 (+digits)")
    found = state.store.by_phones(PROVIDER, WRITTEN, [phone[1:]])
    return web.json_response({"results": [{"id": doc["_id"], **doc} for doc in found]})


def _url(request: web.Request, **query: Any) -> str:
    """This endpoint's absolute URL with ``query`` (and the caller's ``api_key``, as servers echo it)."""
    if "api_key" in request.query:
        query["api_key"] = request.query["api_key"]
    return str(request.url.with_query(None)) + "?" + urlencode(query)


def seed_record(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "id": str(7_000_000 + index),
        "first_name": first,
        "last_name": last,
        "phone": "+" + phone,
        "email": f"{first.lower()}.{index}@example.com" if rng.random() < 0.8 else None,
        "company": rng.choice([None, "Acme Traders", "Globex India"]),
        "tags": rng.sample(["lead", "customer", "vip", "pune"], k=rng.randint(0, 2)),
        "created_at": stamp,
        "updated_at": stamp,
    }


EMULATED = Emulated(PROVIDER, routes, TOO_MANY, seed_record)
