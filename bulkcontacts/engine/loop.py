"""The event loop a run uses: uvloop's where it is installed (Linux and macOS: its loop, written in C, costs
less per request than asyncio's) and the run owns the main thread, else asyncio's;
``BULKCONTACTS_LOOP=asyncio`` asks for asyncio's."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

LOOP_ENV = "BULKCONTACTS_LOOP"
T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, unless it is not installed, ``BULKCONTACTS_LOOP=asyncio``, or this is not the main
    thread (None: asyncio's). A shard runs in a Dask worker's thread, where uvloop's loop with the shared
    Redis budget sent in bursts (one second in four at a 250/s budget), asyncio's steadily: not understood
    yet, so shards keep asyncio's loop."""
    if os.environ.get(LOOP_ENV, "").strip().lower() == "asyncio":
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
