"""The event loop every run uses: uvloop's where it is installed (Linux and macOS: its loop, written in C,
costs less per request than asyncio's), else asyncio's; ``BULKCONTACTS_LOOP=asyncio`` asks for asyncio's."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

LOOP_ENV = "BULKCONTACTS_LOOP"
T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, unless it is not installed or ``BULKCONTACTS_LOOP=asyncio`` (None: asyncio's)."""
    if os.environ.get(LOOP_ENV, "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
