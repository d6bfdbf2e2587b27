"""How a run stops, against an independent mock of a provider: the kind of stop, its exit code, the
server's own words, and advice that can work (run again, or change a named key first)."""

import json

from aiohttp import web

from bulkcontacts.jobs import EXIT_INTERRUPTED, EXIT_REFUSED
from tests.helpers import ServerThread, run_cli, write_export_spec


def smartflo_app(page_for: dict[int, int] | None = None, status: int = 200, body: object = None) -> web.Application:
    """A Smartflo list: page N holds ids N*10..N*10+9; ``page_for`` serves another page's content instead."""

    async def login(_: web.Request) -> web.Response:
        return web.json_response({"success": True, "access_token": "t", "token_type": "bearer", "expires_in": 3600})

    async def contacts(request: web.Request) -> web.Response:
        if status != 200:
            return web.json_response(body, status=status)
        page = int(request.query["page"])
        shown = (page_for or {}).get(page, page)
        results = [
            {"id": shown * 10 + offset, "phone_number": f"+9198{shown * 10 + offset:08d}", "name": "A"}
            for offset in range(10)
        ]
        return web.json_response({"page": page, "size": 10, "limit": 10, "results": results})

    app = web.Application()
    app.add_routes([web.post("/v1/auth/login", login), web.get("/v1/contacts", contacts)])
    return app


def export_spec(tmp_path, url, source_extra="page_size = 10"):
    return write_export_spec(
        tmp_path / "job.toml",
        "smartflo",
        url,
        tmp_path / "out.csv",
        source_extra=source_extra,
        run='rate = "1000/s"\nconcurrency = 1',
    )


def test_a_4xx_on_a_list_page_shows_the_servers_words_and_asks_for_a_spec_change(tmp_path):
    error = {"error": {"code": "invalid_request", "message": "contact_group_id must be numeric"}}
    with ServerThread(smartflo_app(status=422, body=error)) as server:
        result = run_cli("run", str(export_spec(tmp_path, server.url)), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_REFUSED
    assert "HTTP 422: contact_group_id must be numeric" in result.stdout
    assert "HTTP 422 HTTP 422" not in result.stdout
    assert "[source]" in result.stdout and "will not pass by running again" in result.stdout
    assert "run the same command again to resume" not in result.stdout
    summary = json.loads((tmp_path / ".bulkcontacts/export-job/summary.json").read_text())
    assert summary["status"] == "refused" and "contact_group_id must be numeric" in summary["message"]


def test_a_loop_is_refused_names_the_key_and_stays_detected_on_resume(tmp_path):
    with ServerThread(smartflo_app(page_for={4: 3, 5: 3, 6: 3})) as server:  # from page 4 on, page 3 again
        spec = export_spec(tmp_path, server.url)
        first = run_cli("run", str(spec), "-q", cwd=tmp_path)
        again = run_cli("run", str(spec), "-q", cwd=tmp_path)
    for result in (first, again):
        assert result.returncode == EXIT_REFUSED, result.stdout + result.stderr
        assert "pages 3 and 4 hold the same records" in result.stdout
        assert "[source] page_size" in result.stdout
    assert not (tmp_path / "out.csv").exists()


def test_the_page_cap_names_max_pages(tmp_path):
    with ServerThread(smartflo_app()) as server:  # never a short page: it would go on for ever
        result = run_cli(
            "run", str(export_spec(tmp_path, server.url, "page_size = 10\nmax_pages = 5")), "-q", cwd=tmp_path
        )
    assert result.returncode == EXIT_REFUSED
    assert "[source] max_pages" in result.stdout and "will not pass by running again" in result.stdout


def test_an_outage_is_resumable_and_shows_the_servers_words(tmp_path):
    with ServerThread(smartflo_app(status=503, body={"message": "maintenance until 02:00"})) as server:
        spec = write_export_spec(
            tmp_path / "job.toml",
            "smartflo",
            server.url,
            tmp_path / "out.csv",
            run='rate = "1000/s"\nconcurrency = 1\ngive_up_after = 2\nbackoff_base = 0.05',
        )
        result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_INTERRUPTED
    assert "last error: HTTP 503: maintenance until 02:00" in result.stdout
    assert "run the same command again to resume" in result.stdout
    summary = json.loads((tmp_path / ".bulkcontacts/export-job/summary.json").read_text())
    assert summary["last_error"]["message"] == "HTTP 503: maintenance until 02:00"
    assert summary["last_error"]["times_in_a_row"] >= 2
