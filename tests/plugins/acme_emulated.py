"""The emulator's side of the "Acme CRM" plugin (``BULKCONTACTS_EMULATOR_PROVIDERS=acme_emulated``)."""

from __future__ import annotations

import random
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.registry import Emulated
from bulkcontacts_emulator.seed_data import FIRST, LAST, iso
from bulkcontacts_emulator.state import RAW_DOCUMENTS, EmulatorState, json_with_raw

PROVIDER = "acme"
TOO_MANY = {"error": "slow down"}


async def _people(state: EmulatorState, request: web.Request) -> web.Response:
    if not request.headers.get("X-Acme-Key"):
        return web.json_response({"error": "missing key"}, status=401)
    try:
        offset, count = int(request.query.get("offset", "0")), int(request.query.get("count", "25"))
    except ValueError:
        return web.json_response({"error": "offset and count are numbers"}, status=400)
    scope = request.query.get("segment", "demo")
    total = state.store.count(PROVIDER, scope)
    raw = state.store.page_raw(PROVIDER, scope, *state.page_window(offset, count))
    return json_with_raw({"people": RAW_DOCUMENTS, "meta": {"total": total}}, raw)


def routes(state: EmulatorState) -> list[web.RouteDef]:
    return [web.get("/v2/people", partial(_people, state))]


def seed_record(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
    return {
        "id": f"acme-{index}",
        "name": {"given": rng.choice(FIRST), "family": rng.choice(LAST)},
        "mobile": "+" + phone,
        "email": f"p{index}@acme.example",
        "segment": rng.choice(["retail", "wholesale"]),
        "modified": iso(moment),
    }


EMULATED = Emulated(PROVIDER, routes, TOO_MANY, seed_record)
