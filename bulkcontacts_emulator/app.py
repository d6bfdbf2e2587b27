"""The emulator's web app: each provider mounted under its own prefix, with limits, latency and faults.

``http://HOST:PORT/rampwin`` is a Rampwin base URL, ``/tether``, ``/kore`` and ``/smartflo`` the others (and
``/<name>`` for a plugin's provider, ``registry.py``).
``/_emulator/...`` is for tests: settings, counters, and the store's contents.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.limits import retry_after_header
from bulkcontacts_emulator.registry import emulated
from bulkcontacts_emulator.seed import DEFAULT_SCOPE, seed
from bulkcontacts_emulator.state import DropConnection, EmulatorSettings, EmulatorState
from bulkcontacts_emulator.store import Store

HTML_ERROR = "<html><head><title>503 Service Unavailable</title></head><body>upstream down</body></html>"


def _credential(request: web.Request) -> str:
    return (
        request.headers.get("x-api-key")
        or request.headers.get("Authorization")
        or request.headers.get("auth")
        or request.remote
        or "anonymous"
    )


def _drop(request: web.Request) -> web.Response:
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError()


def _gate(state: EmulatorState, provider: str, too_many: dict[str, Any]) -> Any:
    """Middleware for one provider: limits, latency and faults, then the handler."""

    @web.middleware
    async def gate(request: web.Request, handler: Any) -> web.StreamResponse:
        settings, stats = state.settings, state.stats
        stats.seen()
        if settings.faults_for not in (None, provider):
            return await _limited(state, request, handler, too_many, faults=False)
        return await _limited(state, request, handler, too_many, faults=True)

    return gate


async def _limited(
    state: EmulatorState, request: web.Request, handler: Any, too_many: dict[str, Any], *, faults: bool
) -> web.StreamResponse:
    settings, stats = state.settings, state.stats
    if faults and time.time() < settings.outage_until:
        return _answer(stats, web.json_response({"message": "service unavailable"}, status=503))
    if faults and state.chance(settings.drop_before_rate):
        stats.faults += 1
        return _drop(request)
    limiter = state.limiter()
    key = _credential(request)
    if limiter is not None:
        wait = limiter.admit(key)
        if wait is not None:
            stats.throttled += 1
            return _answer(
                stats, web.json_response(too_many, status=429, headers={"Retry-After": retry_after_header(wait)})
            )
    fault = _injected_fault(state, too_many) if faults else None
    if fault is not None:
        return _answer(stats, fault)
    delay = settings.latency + (state.random.random() * settings.latency_jitter)
    if delay > 0:
        await asyncio.sleep(delay)
    try:
        response = await handler(request)
    except DropConnection:
        return _drop(request)
    if limiter is not None and settings.rate_limit_headers:
        response.headers["X-RateLimit-Limit"] = str(limiter.limit)
        response.headers["X-RateLimit-Remaining"] = str(limiter.remaining(key))
    return _answer(stats, response)


def _injected_fault(state: EmulatorState, too_many: dict[str, Any]) -> web.Response | None:
    settings = state.settings
    if state.chance(settings.throttle_rate):
        state.stats.faults += 1
        headers = {"Retry-After": "1"} if state.random.random() < 0.5 else {}
        return web.json_response(too_many, status=429, headers=headers)
    if state.chance(settings.malformed_rate):
        state.stats.faults += 1
        return web.Response(text='{"success": true, "data": {"_id": "', status=200, content_type="application/json")
    if state.chance(settings.false_success_rate):
        state.stats.faults += 1
        return web.json_response({"success": False, "message": "Something went wrong"}, status=200)
    if state.chance(settings.error_rate):
        state.stats.faults += 1
        if state.random.random() < 0.5:
            return web.json_response({"message": "internal error"}, status=503)
        return web.Response(text=HTML_ERROR, status=503, content_type="text/html")
    return None


def _answer(stats: Any, response: web.StreamResponse) -> web.StreamResponse:
    stats.statuses[response.status] += 1
    return response


def make_app(state: EmulatorState) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    for name, provider in emulated().items():
        provider_app = web.Application(middlewares=[_gate(state, name, provider.too_many)])
        provider_app.add_routes(provider.routes(state))
        app.add_subapp(f"/{name}/", provider_app)
    app.add_routes(_admin_routes(state))
    return app


def _admin_routes(state: EmulatorState) -> list[web.RouteDef]:
    async def get_settings(_: web.Request) -> web.Response:
        return web.json_response(asdict(state.settings))

    async def set_settings(request: web.Request) -> web.Response:
        try:
            state.settings.update(await request.json())
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(asdict(state.settings))

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(state.stats.as_json())

    async def contacts(request: web.Request) -> web.Response:
        provider = request.match_info["provider"]
        return web.json_response(state.store.all(provider, request.query.get("scope")))

    async def count(request: web.Request) -> web.Response:
        """``{"count": n}``: how many contacts the provider (``?scope=``: one scope of it) holds, without
        sending them (a test polls this while a job runs)."""
        provider = request.match_info["provider"]
        return web.json_response({"count": state.store.count(provider, request.query.get("scope"))})

    async def add_seeded(request: web.Request) -> web.Response:
        """``{"provider", "scope", "count", "start"}``: generated contacts added at once (benchmarks fill a
        big store this way, not request by request); answers how many the scope holds now."""
        wanted = await request.json()
        provider, scope = str(wanted.get("provider")), str(wanted.get("scope") or DEFAULT_SCOPE)
        if provider not in emulated() or not isinstance(wanted.get("count"), int):
            return web.json_response({"error": "name a provider and a count"}, status=400)
        start = int(wanted.get("start") or 0)
        await asyncio.to_thread(seed, state.store, provider, wanted["count"], scope, start=start)
        return web.json_response({"count": state.store.count(provider, scope)})

    return [
        web.get("/_emulator/settings", get_settings),
        web.post("/_emulator/settings", set_settings),
        web.get("/_emulator/stats", stats),
        web.get("/_emulator/contacts/{provider}", contacts),
        web.get("/_emulator/count/{provider}", count),
        web.post("/_emulator/seed", add_seeded),
    ]


class RunningEmulator:
    """An emulator serving on loopback in the current event loop."""

    def __init__(self, runner: web.AppRunner, state: EmulatorState, url: str) -> None:
        self.runner = runner
        self.state = state
        self.url = url

    def base_url(self, provider: str) -> str:
        return f"{self.url}/{provider}"

    async def stop(self) -> None:
        await self.runner.cleanup()
        self.state.store.close()


async def start_emulator(
    settings: EmulatorSettings | None = None, db: Path | str = ":memory:", host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    state = EmulatorState(settings or EmulatorSettings(), Store(db))
    runner = web.AppRunner(make_app(state), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return RunningEmulator(runner, state, f"http://{host}:{bound}")


class EmulatorThread:
    """The emulator on its own event loop in a background thread (tests, benchmarks)."""

    def __init__(self, settings: EmulatorSettings | None = None, db: Path | str = ":memory:") -> None:
        self.settings = settings or EmulatorSettings()
        self.db = db
        self.loop = asyncio.new_event_loop()
        self.emulator: RunningEmulator | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="emulator")

    def __enter__(self) -> RunningEmulator:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(start_emulator(self.settings, self.db), self.loop)
        self.emulator = future.result(timeout=10)
        return self.emulator

    def __exit__(self, *_: object) -> None:
        if self.emulator is not None:
            asyncio.run_coroutine_threadsafe(self.emulator.stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
