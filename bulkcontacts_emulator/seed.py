"""Generated contacts in each provider's own shape, for ``--seed-contacts`` and ``--emulate`` exports."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bulkcontacts_emulator.store import Store, new_object_id

FIRST = ["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Zoë", "José", "Meera", "Kabir", "Søren", "अमित", "Diya"]
LAST = ["Sharma", "Patel", "Iyer", "Reddy", "Nair", "Müller", "García", "D'Souza", "Khan", "Das"]
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_SCOPE = "demo"
PHONE_BLOCK = 10_000_000  # each provider's seeded phones come from its own block: two providers never share one


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _rampwin(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
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
        "createdAt": _iso(moment),
        "updatedAt": _iso(moment),
    }


def _tether(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
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
        "createdAt": _iso(moment),
        "updatedAt": _iso(moment),
    }


def _kore(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
    return {
        "_id": f"cc-{new_object_id()}",
        "createdAt": _iso(moment),
        "updatedAt": _iso(moment),
        "phoneNumber": "+" + phone,
    }


def _smartflo(index: int, rng: random.Random, moment: datetime, phone: str) -> dict[str, Any]:
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


SHAPES: dict[str, Callable[[int, random.Random, datetime, str], dict[str, Any]]] = {
    "rampwin": _rampwin,
    "tether": _tether,
    "kore": _kore,
    "smartflo": _smartflo,
}


def seed(
    store: Store, provider: str, count: int, scope: str = DEFAULT_SCOPE, *, start: int = 0, seed_value: int = 11
) -> None:
    """Add ``count`` contacts (indexes ``start``…) with distinct valid phones and rising update times; the
    providers' phones differ from each other's (a migration of two providers into one channel collides
    only where the user's data does)."""
    rng = random.Random(seed_value + start)
    docs = []
    block = list(SHAPES).index(provider) * PHONE_BLOCK
    for index in range(start, start + count):
        phone = f"91{9000000000 + (block + index) * 7919 % 999_999_999}"
        docs.append((phone, SHAPES[provider](index, rng, EPOCH + timedelta(minutes=index), phone)))
    store.insert_many(provider, scope, docs)
