"""Which event loop a run gets: uvloop's in the main thread, asyncio's when asked or in another thread."""

import asyncio
import concurrent.futures

import uvloop

from bulkcontacts.engine.loop import loop_factory, run


async def kind() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_uvloop_in_the_main_thread_and_asyncio_when_asked(monkeypatch):
    monkeypatch.delenv("BULKCONTACTS_LOOP", raising=False)
    assert loop_factory() is uvloop.new_event_loop and run(kind()) == "uvloop"
    monkeypatch.setenv("BULKCONTACTS_LOOP", "asyncio")
    assert loop_factory() is None and run(kind()) == "asyncio"


def test_a_run_in_another_thread_gets_asyncios_loop(monkeypatch):
    monkeypatch.delenv("BULKCONTACTS_LOOP", raising=False)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(run, kind()).result() == "asyncio"
