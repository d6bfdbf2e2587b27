"""What one attempt at one item can come to, as values: the handler's answer to the pool.

A handler never raises for an answer it understood: it returns ``Succeeded``, ``Refused`` (this item, for
good), ``Retry`` (worth trying again, maybe later), ``RetryNow`` (fixed on our side already) or ``Fatal``
(nothing else will work either). What the pool then does with a failure is the retry policy's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")


@dataclass(slots=True)  # not frozen: one is made a row, and a frozen dataclass's __init__ costs 2.5x a plain one's
class Succeeded:
    value: Any = None
    near_limit: bool = False  # the server's rate-limit headers say its window is full


@dataclass(frozen=True, slots=True)
class Refused:
    """The server refused this one item for good (a 4xx about the record)."""

    reason: str
    status: int | None = None
    maybe_applied: bool = False  # given up after an attempt whose answer was lost: it may exist after all

    @property
    def described(self) -> str:
        """The reason, saying when the item may have been applied after all."""
        return f"{self.reason} (an attempt got no answer: the record may exist)" if self.maybe_applied else self.reason


@dataclass(frozen=True, slots=True)
class Retry:
    """Worth trying again: 429, 5xx, a timeout, a dropped connection, a garbled answer. ``retry_after`` is the
    server's own hint (seconds); it can only lengthen a wait, never shorten one or skip outage detection."""

    reason: str
    status: int | None = None
    retry_after: float | None = None
    throttled: bool = False
    maybe_applied: bool = True  # the server may have acted on it (no definite answer came back)


@dataclass(frozen=True, slots=True)
class RetryNow:
    """Failed for a reason already fixed on our side (a token renewed after a 401): try again at once, within
    the item's attempts. Not a sign of an outage; the request never reached the point of acting."""

    reason: str
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Fatal:
    """Nothing else will work either (401/403): the pool stops."""

    reason: str
    status: int | None = None


Attempt = Succeeded | Refused | Retry | RetryNow | Fatal
Outcome = Succeeded | Refused  # what a finished item came to


@dataclass(slots=True)
class Work(Generic[Item]):
    """One item on its way through the pool."""

    item: Item
    maybe_applied: bool = False  # an earlier attempt (maybe in an earlier run) may have reached the server
    attempts: int = 0
    first_failure_at: float | None = None
