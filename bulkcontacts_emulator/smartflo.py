"""Tata Smartflo's ``GET /v1/contacts`` and ``POST /v1/auth/login``, as PROVIDERS.md describes."""

from __future__ import annotations

import json
import random
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.registry import Emulated
from bulkcontacts_emulator.seed_data import FIRST, LAST
from bulkcontacts_emulator.state import RAW_DOCUMENTS, EmulatorState, json_with_raw

PROVIDER = "smartflo"
SCOPE = "demo"
TOO_MANY = {"success": "false", "message": "Too many requests."}

FILTERS = ("contact_group_id", "contact_id", "updated_after")


def routes(state: EmulatorState) -> list[web.RouteDef]:
    return [web.post("/v1/auth/login", partial(_login, state)), web.get("/v1/contacts", partial(_contacts, state))]


async def _login(state: EmulatorState, request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    token = state.login(body.get("email"), body.get("password")) if isinstance(body, dict) else None
    if token is None:
        return web.json_response({"success": False, "message": "Invalid email or password"}, status=401)
    return web.json_response(
        {
            "success": True,
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(state.settings.token_ttl),
        }
    )


async def _contacts(state: EmulatorState, request: web.Request) -> web.Response:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not state.accepts_token(header[7:]):
        return web.json_response({"success": False, "message": "Token has expired or is invalid"}, status=401)
    query = request.query
    try:
        page, limit = int(query.get("page", "1")), int(query.get("limit", "10"))
    except ValueError:
        return web.json_response({"success": False, "message": "page and limit must be numbers"}, status=400)
    if page < 1 or not 1 <= limit <= 100:
        return web.json_response({"success": False, "message": "limit must be 1-100"}, status=400)
    if not any(name in query for name in FILTERS):
        raw = state.store.page_raw(PROVIDER, SCOPE, *state.page_window((page - 1) * limit, limit))
        return json_with_raw({"page": page, "size": len(raw), "limit": limit, "results": RAW_DOCUMENTS}, raw)
    wanted = {name: query[name] for name in FILTERS if name in query}
    offset, count = state.page_window((page - 1) * limit, limit)
    choose = partial(_chosen, wanted)  # kept by the store: later pages cost a page each
    _, raw = state.store.chosen(PROVIDER, SCOPE, json.dumps(sorted(wanted.items())), choose, offset, count)
    results = [json.loads(doc) for doc in raw]
    return web.json_response({"page": page, "size": len(results), "limit": limit, "results": results})


def _chosen(wanted: dict[str, str], docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if "contact_group_id" in wanted:
        docs = [doc for doc in docs if str(doc.get("contact_group_id")) == wanted["contact_group_id"]]
    if "contact_id" in wanted:
        docs = [doc for doc in docs if str(doc.get("id")) == wanted["contact_id"]]
    if "updated_after" in wanted:
        docs = [doc for doc in docs if doc.get("updated_at", "") > wanted["updated_after"]]
    return docs


def seed_record(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
    group = 39663 + index % 2
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return {
        "id": 59848243 + index,
        "contact_group_id": group,
        "contact_group_name": f"group {group}",
        "phone_number": "+" + phone,
        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "email_id": f"c{index}@example.com" if rng.random() < 0.7 else None,
        "address": None,
        "company_name": rng.choice([None, "Acme Traders", "Globex India"]),
        "custom_fields": [
            {"name": "Alternate Phone Number", "value": None},
            {"name": "Plan", "value": rng.choice(["gold", "silver"])},
        ],
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
    }


EMULATED = Emulated(PROVIDER, routes, TOO_MANY, seed_record)
