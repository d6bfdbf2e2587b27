"""The job's HTTP session over a real socket: the pacer hears of each request as it is written, once."""

import socket

import aiohttp
from aiohttp import web

from bulkcontacts.providers.http import new_session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_each_written_request_is_counted_once_and_an_unsent_one_never(tmp_path):
    async def created(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"success": True}, status=201)

    app = web.Application()
    app.router.add_post("/api/contacts", created)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    written: list[int] = []
    try:
        async with new_session(4, 5.0, lambda: written.append(1)) as session:
            for number in range(3):
                async with session.post(f"http://127.0.0.1:{port}/api/contacts", json={"n": number}) as answer:
                    assert answer.status == 201
            try:
                async with session.post(f"http://127.0.0.1:{free_port()}/api/contacts", json={}):
                    pass
            except aiohttp.ClientConnectionError:
                pass  # refused before anything was written: not a send
    finally:
        await runner.cleanup()
    assert len(written) == 3
