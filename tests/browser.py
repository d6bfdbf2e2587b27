"""A real headless Chromium (Debian's ``chromium``), driven over the DevTools protocol on loopback: load a
page, collect its console errors, exceptions and network requests, evaluate script, take a screenshot.

Started as a subprocess with a fresh profile, the network proxied to a closed port (a page that reaches out
shows it as a request), and stopped afterwards."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",  # no network: anything a page fetches fails, and is seen as a request
    "--remote-debugging-port=0",
]


@dataclass
class PageLoad:
    """What loading one page showed."""

    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, itself included


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], profile: str, socket: aiohttp.ClientWebSocketResponse):
        self.process, self.profile, self.socket = process, profile, socket
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        await self.socket.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.socket.receive_json(), timeout=30)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self._events.append(message)

    async def load(self, url: str, *, dark: bool = False) -> PageLoad:
        """Open ``url`` and wait for its load event; report what went wrong on the way."""
        self._events.clear()
        scheme = [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
        await self.call("Emulation.setEmulatedMedia", features=scheme)
        await self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not any(event.get("method") == "Page.loadEventFired" for event in self._events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load")
            self._events.append(await asyncio.wait_for(self.socket.receive_json(), timeout=30))
        await asyncio.sleep(0.2)  # late console messages
        await self.call("Runtime.evaluate", expression="0")
        return _page_load(self._events)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    async def screenshot(self, path: Path, width: int = 1100) -> None:
        height = int(await self.evaluate("document.documentElement.scrollHeight"))
        await self.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
        )
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


def _page_load(events: list[dict[str, Any]]) -> PageLoad:
    seen = PageLoad()
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            seen.errors.append(json.dumps(params.get("args"))[:300])
        elif method == "Runtime.exceptionThrown":
            seen.errors.append(str(params.get("exceptionDetails", {}).get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            seen.errors.append(str(params["entry"].get("text")))
        elif method == "Network.requestWillBeSent":
            seen.requests.append(str(params.get("request", {}).get("url")))
        elif method == "Network.loadingFailed":
            seen.errors.append(f"failed to load: {params.get('errorText')}")
    return seen


async def _devtools_port(profile: str, process: subprocess.Popen[bytes]) -> int:
    marker = Path(profile) / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not marker.exists() or not marker.read_text().strip():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"chromium did not start (exit {process.poll()})")
        await asyncio.sleep(0.05)
    return int(marker.read_text().split()[0])


async def start_browser(session: aiohttp.ClientSession) -> Browser:
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed: run `bash tests/system-packages.sh` (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    process = subprocess.Popen(  # noqa: ASYNC220 (starting it does not wait for it)
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = await _devtools_port(profile, process)
    async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
        targets = await answer.json()
    page = next(target for target in targets if target.get("type") == "page")
    socket = await session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
    browser = Browser(process, profile, socket)
    for domain in ("Page", "Runtime", "Log", "Network"):
        await browser.call(f"{domain}.enable")
    return browser


async def stop_browser(browser: Browser) -> None:
    await browser.socket.close()
    browser.process.terminate()
    try:
        browser.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        browser.process.kill()
        browser.process.wait()
    shutil.rmtree(browser.profile, ignore_errors=True)
