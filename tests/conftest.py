from __future__ import annotations

from collections.abc import Iterator

import pytest

from bulkcontacts_emulator.app import EmulatorThread, RunningEmulator
from tests.helpers import ENV, EXPORT_ENV
from tests.services import EmulatorProcess, Redis, emulator_process, redis_server

# The longest files first: xdist hands whole files to its workers in collection order, and a long one met at
# the end keeps one worker busy while the other has nothing left (a minute of the suite's time).
LONGEST_FILES = ("test_terminal.py", "test_scale.py", "test_scale_faults.py", "test_chaos.py", "test_migrate.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FILES)  # stable: every file stays in one piece


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
