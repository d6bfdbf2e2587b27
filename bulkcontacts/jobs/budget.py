"""Which pacer a run gets: its own, a static share of the rate (one of N workers, no store), or the shared
budget in the rate store (``[run] rate_store`` or ``BULKCONTACTS_RATE_STORE``) that every worker of every job
on the same API key and host draws from."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bulkcontacts.config.env import SECRET_KEYS
from bulkcontacts.config.run import RunSpec
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.engine.shared_pacing import SharedPacer, budget_key
from bulkcontacts.errors import Interrupted
from bulkcontacts.state.checkpoint import Progress

RATE_STORE_ENV = "BULKCONTACTS_RATE_STORE"


@dataclass(frozen=True)
class Budget:
    """How one worker of a run paces, beside the others."""

    share: int = 1  # without a store: each of ``share`` workers paces at rate ÷ share


def rate_store(run: RunSpec) -> str | None:
    return run.rate_store or os.environ.get(RATE_STORE_ENV) or None


def store_shown(url: str) -> str:
    """A rate store's address for people: host and port, never a password in the URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path or ''}"


def credential_key(base_url: str, model: Any) -> str:
    """The budget's key of an endpoint: its host and the credential fields of ``model`` (sink or source)."""
    values = []
    for holder in (model, getattr(model, "auth", None)):  # a REST end keeps its credentials in ``auth``
        for name in sorted(SECRET_KEYS | {"email", "username"}):
            value = getattr(holder, name, None)
            if value is not None:
                secret = value.get_secret_value() if hasattr(value, "get_secret_value") else value
                values.append(f"{name}={secret}")
    return budget_key(urlsplit(base_url).hostname or base_url, "\n".join(values))


def local_pacer(run: RunSpec, learned: float | None = None, share: int = 1) -> Pacer:
    """The pacer a ``[run]`` describes for one process (``rate = "auto"``: start at 50/s and find the limit);
    ``learned``: a lower ceiling an earlier run had to take after a 429; ``share``: this process is one of
    that many workers splitting the rate statically."""
    rate = run.rate / share
    start = (run.start_rate / share if run.start_rate else None) if run.adaptive else None
    pacer = Pacer(rate, headroom=run.rate_headroom, adaptive=run.adaptive, start=start)
    if learned is not None and not run.adaptive:
        pacer.lower_ceiling(learned / share)
    return pacer


@contextlib.asynccontextmanager
async def paced(run: RunSpec, progress: Progress, key: str, budget: Budget | None = None) -> AsyncIterator[Pacer]:
    """The run's pacer: shared through the rate store when there is one (keyed by ``key``), else local."""
    learned = progress.extra.get("learned_ceiling")
    store = rate_store(run)
    if store is None:
        yield local_pacer(run, learned, budget.share if budget else 1)
        return
    import redis.asyncio  # only runs with a rate store need it

    client = redis.asyncio.Redis.from_url(store, socket_connect_timeout=10, socket_timeout=10)
    start = run.start_rate if run.adaptive else None
    pacer = SharedPacer(client, key, run.rate, headroom=run.rate_headroom, adaptive=run.adaptive, start=start)
    if learned is not None and not run.adaptive:
        pacer.lower_ceiling(learned)
    try:
        try:
            await client.ping()
        except (OSError, redis.RedisError) as error:
            raise Interrupted(
                f"cannot reach the rate store {store_shown(store)} ({error}); start it or fix [run] rate_store "
                f"(or {RATE_STORE_ENV}), then run again"
            ) from None
        yield pacer
    finally:
        await pacer.aclose()


def remember_ceiling(run: RunSpec, progress: Progress, pacer: Pacer) -> None:
    """Keep a ceiling lowered by a 429 in the checkpoint (in terms of the whole rate, whatever this worker's
    share), so the resume does not overshoot again."""
    if not run.adaptive and pacer.ceiling < pacer.limit * (1.0 - run.rate_headroom) - 1e-9:
        progress.extra["learned_ceiling"] = round(pacer.ceiling * run.rate / pacer.limit, 3)
