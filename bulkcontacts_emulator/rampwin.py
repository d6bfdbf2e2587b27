"""Rampwin's list (``POST /api/contacts/v3/page``), create and upsert endpoints, as PROVIDERS.md describes."""

from __future__ import annotations

import json
import math
import random
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.registry import Emulated
from bulkcontacts_emulator.seed_data import FIRST, LAST, iso
from bulkcontacts_emulator.state import RAW_DOCUMENTS, DropConnection, EmulatorState, json_with_raw
from bulkcontacts_emulator.store import DuplicateContact, new_object_id, now_iso

PROVIDER = "rampwin"
CORE_STRINGS = (
    "full_name",
    "first_name",
    "last_name",
    "email",
    "company",
    "city",
    "state",
    "zipcode",
    "address",
    "remarks",
)
VALIDATION = {"success": False, "message": "Validation error or duplicate contact"}
BAD_LIST_REQUEST = {"success": False, "errors": {"message": "Invalid request parameters"}}
TOO_MANY = {"success": False, "message": "Too many requests"}
DOCUMENTED_LISTING = ("_id", "full_name", "phone_number", "is_user", "createdAt", "updatedAt")


def routes(state: EmulatorState) -> list[web.RouteDef]:
    return [
        web.post("/api/contacts", partial(_create, state)),
        web.post("/api/contacts/insertOrUpdate", partial(_upsert, state)),
        web.post("/api/contacts/v3/page", partial(_list_page, state)),
    ]


async def _create(state: EmulatorState, request: web.Request) -> web.Response:
    if not state.accepts_api_key(request.headers.get("x-api-key")):
        return web.json_response({"success": False, "message": "Invalid API key"}, status=401)
    body = await _json_body(request)
    integration = request.query.get("integration_id")
    problem = _create_problem(body, integration)
    if problem:
        return web.json_response(VALIDATION, status=400)
    assert isinstance(body, dict)
    stamp = now_iso()
    doc = {
        **body,
        "phone_number": str(body["phone_number"]),
        "is_user": False,
        "createdAt": stamp,
        "updatedAt": stamp,
    }
    try:
        doc = state.store.insert(PROVIDER, str(integration), doc["phone_number"], doc)
    except DuplicateContact:
        return web.json_response(VALIDATION, status=400)
    state.after_commit(request)
    return web.json_response(
        {
            "success": True,
            "message": "Contact created successfully",
            "data": {
                "_id": doc["_id"],
                "phone_number": body["phone_number"],
                "full_name": body["full_name"],
                "integration_id": integration,
            },
        }
    )


async def _upsert(state: EmulatorState, request: web.Request) -> web.Response:
    if not state.accepts_api_key(request.headers.get("x-api-key")):
        return web.json_response({"success": False, "message": "Invalid API key"}, status=401)
    body = await _json_body(request)
    channel = request.query.get("channel_id")
    phone = body.get("phone_number") if isinstance(body, dict) else None
    if (
        not channel
        or not isinstance(phone, str)
        or not phone.startswith("+")
        or not phone[1:].isdigit()
        or not 8 <= len(phone) - 1 <= 15
        or _field_problem(body)
    ):
        return web.json_response(VALIDATION, status=400)
    assert isinstance(body, dict)
    fields = {key: value for key, value in body.items() if key not in ("channel_id", "integration_id")}
    fields["phone_number"] = phone[1:]
    doc, _created = state.store.upsert(PROVIDER, channel, phone[1:], fields)
    state.after_commit(request)
    return web.json_response(
        {
            "success": True,
            "message": "Contact inserted or updated successfully",
            "data": {"_id": doc["_id"], "phone_number": phone, "channel_id": channel},
        }
    )


async def _list_page(state: EmulatorState, request: web.Request) -> web.Response:
    if not state.accepts_token(_bearer(request)):
        return web.json_response({"success": False, "errors": {"message": "Invalid token"}}, status=401)
    body = await _json_body(request)
    query = _list_query(body, state.max_page_size)
    if query is None:
        return web.json_response(BAD_LIST_REQUEST, status=400)
    page, size, integration, descending, order, filters = query
    offset, count = state.page_window((page - 1) * size, size)
    if not any(filters) and body.get("showOnlyUsers") is not True:  # the plain listing, served as stored
        total = state.store.count(PROVIDER, integration)
        sort = "updated_at" if order else "seq"
        raw = state.store.page_raw(PROVIDER, integration, offset, count, order=sort, descending=descending)
        if state.settings.list_shape == "documented":
            raw = [json.dumps(_documented(json.loads(doc))) for doc in raw]
        served: dict[str, Any] = {"contacts": RAW_DOCUMENTS, "page": page, "pageSize": size}
        if body.get("pageCountRequired") == "yes":
            served["totalPages"] = math.ceil(total / size)
        return json_with_raw({"success": True, "data": served}, raw)
    choose = partial(_chosen, filters, body.get("showOnlyUsers") is True, order, descending)
    phones = _phone_lookup(filters)
    if phones is not None:  # a look-up by phone is served from the store's index
        contacts = choose(state.store.by_phones(PROVIDER, integration, phones))
        total, chunk = len(contacts), contacts[offset : offset + count]
    else:  # the store keeps what a filter chose: an export's later pages cost a page each, not the store
        key = json.dumps([filters, body.get("showOnlyUsers") is True, order, descending], sort_keys=True)
        total, raw = state.store.chosen(PROVIDER, integration, key, choose, offset, count)
        chunk = [json.loads(doc) for doc in raw]
    if state.settings.list_shape == "documented":
        chunk = [_documented(doc) for doc in chunk]
    data: dict[str, Any] = {"contacts": chunk, "page": page, "pageSize": size}
    if body.get("pageCountRequired") == "yes":
        data["totalPages"] = math.ceil(total / size)
    return web.json_response({"success": True, "data": data})


def _documented(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: doc[key] for key in DOCUMENTED_LISTING if key in doc}


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    except ConnectionError:  # the client went away mid-body (killed): nobody to answer
        raise DropConnection() from None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


def _field_problem(body: dict[str, Any]) -> bool:
    if any(key in body and not isinstance(body[key], str) for key in CORE_STRINGS):
        return True
    tags = body.get("tags")
    return tags is not None and not (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags))


def _create_problem(body: Any, integration: str | None) -> bool:
    if not isinstance(body, dict) or not integration or body.get("integration_id") != integration:
        return True
    phone = body.get("phone_number")
    if isinstance(phone, bool) or not isinstance(phone, int) or not 8 <= len(str(phone)) <= 15:
        return True  # a JSON number with country code, not a string
    name = body.get("full_name")
    return not isinstance(name, str) or not name.strip() or _field_problem(body)


def _list_query(body: Any, max_page_size: int) -> tuple[int, int, str, bool, bool, list[Any]] | None:
    if not isinstance(body, dict):
        return None
    page, size, integration = body.get("page"), body.get("pageSize"), body.get("integrationId")
    if (
        not isinstance(page, int)
        or page < 1
        or not isinstance(size, int)
        or not 1 <= size <= max_page_size
        or not isinstance(integration, str)
        or not integration
    ):
        return None
    filters = body.get("fitlers", [])
    if not isinstance(filters, list):
        return None
    sort = body.get("sortFilter") or []
    order, descending = False, False
    if sort:
        if not isinstance(sort, list) or not isinstance(sort[0], dict) or sort[0].get("field") != "updatedAt":
            return None
        order, descending = True, sort[0].get("order") == "desc"
    return page, size, integration, descending, order, filters


def _phone_lookup(filters: list[Any]) -> list[str] | None:
    """The phones asked for when every group is one ``phone_number equals`` condition, else None."""
    phones = []
    for group in filters:
        condition = group[0] if isinstance(group, list) and len(group) == 1 else None
        if (
            not isinstance(condition, dict)
            or condition.get("field_name") != "phone_number"
            or condition.get("operator", "equals") != "equals"
        ):
            return None
        phones.append(str(condition.get("field_value", "")))
    return phones or None


def _chosen(
    filters: list[Any], only_users: bool, order: bool, descending: bool, docs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The contacts a filtered listing shows, in its order (by ``updatedAt`` when sorted, else as stored)."""
    contacts = [doc for doc in docs if _matches(doc, filters, only_users)]
    if order:
        contacts.sort(key=lambda doc: doc.get("updatedAt", ""), reverse=descending)
    return contacts


def _matches(doc: dict[str, Any], filters: list[Any], only_users: bool) -> bool:
    """``fitlers`` is a list of groups; a group is a list of conditions that must all hold (any group may)."""
    if only_users and not doc.get("is_user"):
        return False
    groups = [group for group in filters if isinstance(group, list) and group]
    if not groups:
        return True
    return any(all(_condition(doc, condition) for condition in group) for group in groups)


def _condition(doc: dict[str, Any], condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    value = str(doc.get(str(condition.get("field_name")), ""))
    wanted = str(condition.get("field_value", ""))
    operator = condition.get("operator", "equals")
    if operator == "contains":
        return wanted.lower() in value.lower()
    if operator == "greater_than":
        return value > wanted
    return value == wanted


def seed_record(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "_id": new_object_id(),
        "full_name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "phone_number": phone,
        "is_user": rng.random() < 0.3,
        "email": f"c{index}@example.com",
        "tags": rng.sample(["vip", "newsletter", "b2b"], rng.randrange(0, 3)),
        "createdAt": iso(moment),
        "updatedAt": iso(moment),
    }


EMULATED = Emulated(PROVIDER, routes, TOO_MANY, seed_record)
