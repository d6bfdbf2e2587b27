"""Generated contacts in each provider's own shape, for ``--seed`` and ``--emulate``."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bulkcontacts_emulator.registry import emulated
from bulkcontacts_emulator.store import Store

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_SCOPE = "demo"
PHONE_BLOCK = 10_000_000  # each provider's seeded phones come from its own block: two providers never share one


def seed(
    store: Store, provider: str, count: int, scope: str = DEFAULT_SCOPE, *, start: int = 0, seed_value: int = 11
) -> None:
    """Add ``count`` contacts (indexes ``start``…) with distinct valid phones and rising update times; the
    providers' phones differ from each other's (a migration of two providers into one channel collides
    only where the user's data does)."""
    rng = random.Random(seed_value + start)
    docs = []
    shape = emulated()[provider].seed_record
    block = list(emulated()).index(provider) * PHONE_BLOCK
    for index in range(start, start + count):
        phone = f"91{9000000000 + (block + index) * 7919 % 999_999_999}"
        docs.append((phone, shape(index, rng, EPOCH + timedelta(minutes=index), phone)))
    store.insert_many(provider, scope, docs)
