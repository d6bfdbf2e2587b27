"""Kore.ai's ``GET /campaign/api/v2/public/{streamId}/campaign/contactList/{id}/getAllContacts``."""

from __future__ import annotations

import base64
import json
import math
import random
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.limits import retry_after_header
from bulkcontacts_emulator.registry import Emulated
from bulkcontacts_emulator.seed_data import iso
from bulkcontacts_emulator.state import RAW_DOCUMENTS, EmulatorState, json_with_raw
from bulkcontacts_emulator.store import new_object_id

PROVIDER = "kore"
TOO_MANY = {
    "status": "failure",
    "message": "You've exceeded the per-minute rate limit for this API. Please try again after some time.",
}
PATH = "/campaign/api/v2/public/{stream_id}/campaign/contactList/{list_id}/getAllContacts"


def looks_like_jwt(token: str | None) -> bool:
    """Three base64url parts whose first says HS256 (the emulator does not know the client secret)."""
    if not token or token.count(".") != 2:
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and header.get("alg") == "HS256"


def routes(state: EmulatorState) -> list[web.RouteDef]:
    return [web.get(PATH, partial(_contacts, state))]


async def _contacts(state: EmulatorState, request: web.Request) -> web.Response:
    account = request.query.get("accountId")
    if not looks_like_jwt(request.headers.get("auth")) or not request.headers.get("iid"):
        return web.json_response({"status": "failure", "message": "Unauthorized: invalid auth token"}, status=401)
    if not account or request.headers.get("accountId") != account:
        return web.json_response({"status": "failure", "message": "accountId is required"}, status=400)
    window = state.kore_window()
    if window is not None:
        wait = window.admit(account)
        if wait is not None:
            state.stats.throttled += 1
            return web.json_response(TOO_MANY, status=429, headers={"Retry-After": retry_after_header(wait)})
    try:
        skip, limit = int(request.query.get("skip", "0")), int(request.query.get("limit", "50"))
    except ValueError:
        return web.json_response({"status": "failure", "message": "skip and limit must be numbers"}, status=400)
    if skip < 0 or not 1 <= limit <= 100:
        return web.json_response({"status": "failure", "message": "limit must be 1-100"}, status=400)
    scope = request.match_info["list_id"]
    total = state.store.count(PROVIDER, scope)
    raw = state.store.page_raw(PROVIDER, scope, *state.page_window(skip, limit))
    data: dict[str, Any] = {
        "results": RAW_DOCUMENTS,
        "skip": skip,
        "limit": limit,
        "hasMore": skip + limit < total,
        "totalPages": math.ceil(total / limit),
        "totalResults": total,
    }
    return json_with_raw({"status": "success", "message": "Contacts fetched successfully", "data": data}, raw)


def seed_record(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
    return {
        "_id": f"cc-{new_object_id()}",
        "createdAt": iso(moment),
        "updatedAt": iso(moment),
        "phoneNumber": "+" + phone,
    }


EMULATED = Emulated(PROVIDER, routes, TOO_MANY, seed_record)
