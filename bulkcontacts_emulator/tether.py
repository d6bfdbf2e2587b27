"""Tether's ``GET /api/contacts`` and ``POST /api/auth/login``, as PROVIDERS.md describes."""

from __future__ import annotations

import json
import random
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.registry import Emulated
from bulkcontacts_emulator.seed_data import FIRST, LAST, iso
from bulkcontacts_emulator.state import RAW_DOCUMENTS, EmulatorState, json_with_raw
from bulkcontacts_emulator.store import new_object_id

PROVIDER = "tether"
SCOPE = "demo"
TOO_MANY = {"error": {"code": "rate_limited", "message": "Too many requests"}}
FILTERS = ("source", "leadSource", "status", "pipelineStage", "pipelineId", "owner", "assignee", "messageStatus")


def routes(state: EmulatorState) -> list[web.RouteDef]:
    return [web.post("/api/auth/login", partial(_login, state)), web.get("/api/contacts", partial(_contacts, state))]


async def _login(state: EmulatorState, request: web.Request) -> web.Response:
    body = await _json(request)
    token = state.login(body.get("email"), body.get("password")) if isinstance(body, dict) else None
    if token is None:
        return web.json_response(
            {"error": {"code": "invalid_credentials", "message": "Invalid credentials"}}, status=401
        )
    return web.json_response({"token": token, "user": {"email": body["email"], "role": "admin"}})


async def _contacts(state: EmulatorState, request: web.Request) -> web.Response:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not state.accepts_token(header[7:]):
        return web.json_response({"error": "Invalid or expired token"}, status=401)
    query = request.query
    try:
        page, size = int(query.get("page", "1")), int(query.get("size", "50"))
        date_range = json.loads(query["dateRange"]) if "dateRange" in query else None
    except (ValueError, json.JSONDecodeError):
        return web.json_response(
            {"error": {"code": "invalid_request", "message": "page, size and dateRange must be valid"}}, status=400
        )
    if page < 1 or size < 1:
        return web.json_response(
            {"error": {"code": "invalid_request", "message": "page and size must be >= 1"}}, status=400
        )
    if (
        date_range
        or query.get("ownerFilter", "my") not in ("all", "my", "team")
        or any(name in query for name in FILTERS)
    ):
        offset, count = state.page_window((page - 1) * size, size)
        kept = sorted((name, value) for name, value in query.items() if name not in ("page", "size"))
        choose = partial(_chosen, query, date_range)  # kept by the store: later pages cost a page each
        total, raw = state.store.chosen(PROVIDER, SCOPE, json.dumps([kept, date_range]), choose, offset, count)
        chunk = [json.loads(doc) for doc in raw]
    else:  # the plain listing, paged by the store and served as stored
        total = state.store.count(PROVIDER, SCOPE)
        raw = state.store.page_raw(PROVIDER, SCOPE, *state.page_window((page - 1) * size, size))
        data = {"contacts": RAW_DOCUMENTS, "total": total, "page": page, "size": size}
        return json_with_raw(
            {"success": True, "data": data, "meta": {}, "contacts": RAW_DOCUMENTS, "total": total}, raw
        )
    data = {"contacts": chunk, "total": total, "page": page, "size": size}
    return web.json_response({"success": True, "data": data, "meta": {}, "contacts": chunk, "total": total})


def _chosen(query: Any, date_range: dict[str, str] | None, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((doc for doc in docs if _matches(doc, query, date_range)), key=lambda doc: doc.get("createdAt", ""))


def _matches(doc: dict[str, Any], query: Any, date_range: dict[str, str] | None) -> bool:
    owner = query.get("ownerFilter", "my")
    if owner not in ("all", "my", "team", "unassigned") and doc.get("userId") != owner:
        return False
    if owner == "unassigned" and doc.get("assignees"):
        return False
    if any(name in query and str(doc.get(name)) != query[name] for name in FILTERS):
        return False
    if date_range:  # on createdAt (inferred, PROVIDERS.md)
        stamp = doc.get("createdAt", "")
        if "start" in date_range and not stamp > date_range["start"]:
            return False
        if "end" in date_range and not stamp <= date_range["end"]:
            return False
    return True


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except (ValueError, UnicodeDecodeError):
        return None


def seed_record(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
    return {
        "_id": new_object_id(),
        "firstName": rng.choice(FIRST),
        "lastName": rng.choice(LAST),
        "phoneNumber": "+" + phone,
        "email": f"c{index}@example.com",
        "status": rng.choice(["new", "contacted", "qualified", "lost"]),
        "pipelineId": "p1",
        "pipelineStage": rng.choice(["lead", "demo", "won"]),
        "organizationId": "org1",
        "userId": "u1",
        "createdBy": "u1",
        "assignees": rng.sample(["u1", "u2", "u3"], rng.randrange(0, 3)),
        "createdAt": iso(moment),
        "updatedAt": iso(moment),
    }


EMULATED = Emulated(PROVIDER, routes, TOO_MANY, seed_record)
