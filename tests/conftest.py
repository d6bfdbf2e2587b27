from __future__ import annotations

from collections.abc import Iterator

import pytest

from bulkcontacts_emulator.app import EmulatorThread, RunningEmulator
from tests.helpers import ENV, EXPORT_ENV
from tests.services import EmulatorProcess, Redis, emulator_process, redis_server


@pytest.fixture
def redis() -> Iterator[Redis]:
    """A real redis-server on a free loopback port, for the shared rate budget."""
    with redis_server() as server:
        yield server


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with EmulatorThread() as running:
        yield running


@pytest.fixture(name="emulator_process")
def emulator_in_its_own_process() -> Iterator[EmulatorProcess]:
    """The emulator as a subprocess on a free loopback port, read over HTTP (tests that count a strict
    window's 429s: a thread in the test process stalls when the test reads its store, and bunches requests)."""
    with emulator_process() as running:
        yield running


@pytest.fixture(autouse=True)
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**ENV, **EXPORT_ENV}.items():
        monkeypatch.setenv(name, value)


def _aioresponses_compat() -> None:
    """aioresponses 0.7.x builds ClientResponse without aiohttp 3.14's new ``stream_writer`` argument
    (pnuckowski/aioresponses#289); give it a default so the mocks work on both sides of 3.14."""
    import inspect

    import aioresponses.core
    from aiohttp import ClientResponse

    if "stream_writer" not in inspect.signature(ClientResponse.__init__).parameters:
        return

    class CompatibleResponse(ClientResponse):
        def __init__(self, *args, stream_writer=None, **kwargs):  # type: ignore[no-untyped-def]
            from types import SimpleNamespace

            super().__init__(*args, stream_writer=stream_writer or SimpleNamespace(output_size=0), **kwargs)

    aioresponses.core.ClientResponse = CompatibleResponse  # type: ignore[misc]


_aioresponses_compat()
