"""The emulator's shared state: settings, store, rate limiter, faults and counters."""

from __future__ import annotations

import collections
import json
import random
import time
from dataclasses import dataclass, field, fields
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.limits import SlidingWindow
from bulkcontacts_emulator.store import Store


@dataclass
class EmulatorSettings:
    """Everything a test or the CLI can change, also at run time through ``POST /_emulator/settings``."""

    rate_limit: float | None = None  # requests per second per credential (strict 1 s sliding window)
    latency: float = 0.0  # seconds added to every answer
    latency_jitter: float = 0.0  # up to this many seconds more, at random
    api_key: str | None = None  # accept only this x-api-key (None: any non-empty key)
    token: str | None = None  # accept only this bearer token (None: any non-empty token)
    max_page_size: int = 100
    rate_limit_headers: bool = True  # send X-RateLimit-Limit / -Remaining
    # Rampwin's list (v3/page): "full" lists every stored field; "documented" only what its docs show
    # (_id, full_name, phone_number, is_user, createdAt, updatedAt), as the real endpoint is documented.
    list_shape: str = "full"
    # faults, each a probability per request to a provider endpoint
    error_rate: float = 0.0  # 503 (half with a JSON body, half HTML)
    throttle_rate: float = 0.0  # 429 (half with Retry-After)
    drop_before_rate: float = 0.0  # connection closed before the request is handled
    drop_after_rate: float = 0.0  # connection closed after a write was committed
    malformed_rate: float = 0.0  # 200 with a body cut off mid-JSON
    false_success_rate: float = 0.0  # 200 with {"success": false}
    outage_until: float = 0.0  # time.time() until which every request gets 503
    faults_for: str | None = None  # only this provider ("rampwin", ...) gets the faults above (None: all)
    password: str | None = None  # accept only this login password (None: any non-empty)
    token_ttl: float = 3600.0  # seconds a token from a login endpoint lives (Smartflo: an hour)
    kore_per_minute: int | None = 60  # Kore.ai: requests per minute per account (strict 60 s window)
    short_after: int | None = None  # pages run dry after this many records; totals still count all (stops early)

    def update(self, changes: dict[str, Any]) -> None:
        known = {item.name for item in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown emulator setting {name!r}")
            setattr(self, name, value)


@dataclass
class EmulatorStats:
    requests: int = 0
    throttled: int = 0
    faults: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    max_in_window: int = 0  # most requests seen in any 1 s window (any credential)
    _window: collections.deque[float] = field(default_factory=collections.deque)

    def seen(self) -> None:
        now = time.monotonic()
        self.requests += 1
        self._window.append(now)
        while self._window[0] <= now - 1.0:
            self._window.popleft()
        self.max_in_window = max(self.max_in_window, len(self._window))

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "throttled": self.throttled,
            "faults": self.faults,
            "statuses": {str(code): count for code, count in self.statuses.items()},
            "max_in_window": self.max_in_window,
        }


RAW_DOCUMENTS = "\u0000documents\u0000"  # where json_with_raw splices the stored documents in


def json_with_raw(body: dict[str, Any], documents: list[str], status: int = 200) -> web.Response:
    """A JSON answer whose ``RAW_DOCUMENTS`` values become the list of stored JSON texts, as they are
    (no decode and re-encode of every record on the emulator's hot path)."""
    text = json.dumps(body).replace(json.dumps(RAW_DOCUMENTS), "[" + ",".join(documents) + "]")
    return web.Response(text=text, status=status, content_type="application/json")


class DropConnection(Exception):
    """Close the client's connection without an answer."""


class EmulatorState:
    def __init__(self, settings: EmulatorSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.stats = EmulatorStats()
        self.random = random.Random()
        self._limiter: SlidingWindow | None = None
        self._limit_for: float | None = None
        self.issued: dict[str, float] = {}  # token → expiry (time.time())
        self._kore_window: SlidingWindow | None = None

    @property
    def max_page_size(self) -> int:
        return self.settings.max_page_size

    def limiter(self) -> SlidingWindow | None:
        limit = self.settings.rate_limit
        if limit != self._limit_for:
            self._limit_for = limit
            self._limiter = SlidingWindow(int(limit)) if limit else None
        return self._limiter

    def kore_window(self) -> SlidingWindow | None:
        limit = self.settings.kore_per_minute
        if not limit:
            return None
        if self._kore_window is None or self._kore_window.limit != limit:
            self._kore_window = SlidingWindow(limit, 60.0)
        return self._kore_window

    def accepts_api_key(self, key: str | None) -> bool:
        return bool(key) and (self.settings.api_key is None or key == self.settings.api_key)

    def accepts_token(self, token: str | None) -> bool:
        if not token:
            return False
        expires = self.issued.get(token)
        if expires is not None:
            return time.time() < expires
        return self.settings.token is None or token == self.settings.token

    def login(self, email: Any, password: Any) -> str | None:
        """A fresh token for good credentials (it expires after ``token_ttl``), else None."""
        if not isinstance(email, str) or not email or not isinstance(password, str) or not password:
            return None
        if self.settings.password is not None and password != self.settings.password:
            return None
        token = f"tok-{self.random.getrandbits(64):016x}"
        self.issued[token] = time.time() + self.settings.token_ttl
        return token

    def page_window(self, offset: int, size: int) -> tuple[int, int]:
        """(offset, size) of a page as actually served: ``short_after`` makes pages run dry early."""
        end = offset + size
        if self.settings.short_after is not None:
            end = min(end, self.settings.short_after)
        return offset, max(0, end - offset)

    def chance(self, probability: float) -> bool:
        return probability > 0 and self.random.random() < probability

    def after_commit(self, request: web.Request) -> None:
        """A write was committed: maybe lose the answer (the client cannot know it succeeded)."""
        provider = request.path.split("/")[1]
        if self.settings.faults_for in (None, provider) and self.chance(self.settings.drop_after_rate):
            self.stats.faults += 1
            raise DropConnection()
