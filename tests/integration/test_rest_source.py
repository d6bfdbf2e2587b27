"""``[source] type = "rest"`` over a real socket: each paginator against the emulator's generic API (``/rest``),
every format, kills and resumes, credentials kept out of the state."""

import json

import pytest

from bulkcontacts.config.load import load_spec
from bulkcontacts.jobs import EXIT_OK, EXIT_REFUSED
from bulkcontacts.jobs.exports import run_export
from bulkcontacts.ui.display import make_display
from bulkcontacts_emulator.seed import seed
from tests.helpers import (
    EXPORT_ENV,
    INTEGRATION,
    emulator_stats,
    exported_ids,
    killed_when,
    run_cli,
    set_emulator,
    write_migrate_spec,
)

BEARER = 'auth = { type = "bearer", token = "${CRM_TOKEN}" }'
# Each paginator as the emulator's endpoint for it is described (bulkcontacts_emulator/rest.py).
PAGINATORS = {
    "page_number": """path = "/v1/contacts/pages"
params = { per_page = PAGE }
page_size = PAGE
data_selector = "data"
paginator = { type = "page_number", base_page = 1, total_path = "meta.total_pages" }""",
    "offset": """path = "/v1/contacts/offset"
data_selector = "items"
paginator = { type = "offset", limit = PAGE, total_path = "total" }""",
    "cursor": """path = "/v1/contacts/cursor"
params = { limit = PAGE }
data_selector = "results"
paginator = { type = "cursor", cursor_path = "paging.next.after", cursor_param = "after" }""",
    "json_link": """path = "/v1/contacts/links"
params = { limit = PAGE }
paginator = { type = "json_link", next_url_path = "links.next" }""",
    "header_link": """path = "/v1/contacts/header"
params = { per_page = PAGE }
paginator = { type = "header_link" }""",
}


def rest_spec(path, base_url, paginator, output, *, page=40, auth=BEARER, name="rest-job", extra="", run=""):
    described = PAGINATORS[paginator].replace("PAGE", str(page))
    path.write_text(
        f"""[job]
name = "{name}"
[source]
type = "rest"
base_url = "{base_url}"
{described}
{auth}
{extra}
[sink]
type = "file"
path = "{output}"
[run]
{run or 'rate = "1000/s"'}
""",
        encoding="utf-8",
    )
    return path


def store_ids(emulator):
    return [doc["id"] for doc in emulator.state.store.all("rest", "demo")]


@pytest.mark.parametrize("paginator", list(PAGINATORS))
async def test_each_paginator_exports_every_record_once_in_order_in_every_format(tmp_path, emulator, paginator):
    seed(emulator.state.store, "rest", 130)
    for suffix in (".csv", ".parquet", ".jsonl"):
        name = f"{paginator}-{suffix[1:]}"
        spec_path = rest_spec(tmp_path / f"{name}.toml", emulator.base_url("rest"), paginator,
                              tmp_path / f"out{suffix}", name=name)  # fmt: skip
        spec = load_spec(spec_path)
        result = await run_export(
            spec, state_path=tmp_path / "state" / name, restart=False, display=make_display(quiet=True)
        )
        assert result.status == "complete", result.message
        assert result.counts["pages"] == 4  # 130 records, 40 a page: no page asked for past the end
        assert exported_ids(spec.sink.path, "id") == store_ids(emulator)


@pytest.mark.parametrize("paginator", ["cursor", "header_link", "offset"])  # the three held-out shapes
def test_sigkill_three_times_then_resume_gives_each_record_once_in_order(tmp_path, emulator, paginator):
    seed(emulator.state.store, "rest", 600)
    set_emulator(emulator, latency=0.04)
    output = tmp_path / "out.jsonl"
    spec = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), paginator, output, page=10,
                     run='rate = "200/s"\nconcurrency = 3\ncheckpoint_every = 0.1')  # fmt: skip
    parts = tmp_path / ".bulkcontacts" / "rest-job" / "parts"
    for pages in (6, 20, 38):  # of 60
        killed_when(
            lambda pages=pages: len(list(parts.glob("page-*.jsonl"))) >= pages, "run", str(spec), "-q", cwd=tmp_path
        )
        assert not output.exists()
    set_emulator(emulator, latency=0.0)
    finished = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    assert exported_ids(output, "id") == store_ids(emulator)


def test_a_key_in_the_query_is_never_kept_though_the_api_echoes_it_in_its_links(tmp_path, emulator):
    seed(emulator.state.store, "rest", 100)
    key = EXPORT_ENV["CRM_KEY"]
    auth = 'auth = { type = "api_key", name = "api_key", api_key = "${CRM_KEY}", location = "query" }'
    spec = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "header_link", tmp_path / "out.csv",
                     page=10, auth=auth, extra="max_pages = 4")  # fmt: skip
    stopped = run_cli("run", str(spec), cwd=tmp_path)  # the safety cap stops it with the frontier's link kept
    assert stopped.returncode == EXIT_REFUSED and "max_pages" in stopped.stdout, stopped.stdout + stopped.stderr
    state = tmp_path / ".bulkcontacts" / "rest-job"
    kept = json.loads((state / "checkpoint.json").read_text())["extra"]["after"]
    assert list(kept) == ["2"] and "since=30" in kept["2"] and "api_key" not in kept["2"]  # pages 1–3 kept
    for path in state.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite":
            assert key not in path.read_text(errors="replace"), path
    assert key not in stopped.stdout + stopped.stderr
    raised = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "header_link", tmp_path / "out.csv",
                       page=10, auth=auth)  # fmt: skip
    finished = run_cli("run", str(raised), cwd=tmp_path)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    assert "7 pages in" in finished.stdout  # resumed from the kept link (a raised cap is no new export)
    assert exported_ids(tmp_path / "out.csv", "id") == store_ids(emulator)


def test_refused_credentials_stop_at_once_naming_the_auth_table(tmp_path, emulator):
    seed(emulator.state.store, "rest", 30)
    set_emulator(emulator, token="another-token")
    spec = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "cursor", tmp_path / "out.csv")
    refused = run_cli("run", str(spec), cwd=tmp_path)
    assert refused.returncode == EXIT_REFUSED and "check the [source] credentials" in refused.stdout, refused.stdout
    assert EXPORT_ENV["CRM_TOKEN"] not in refused.stdout + refused.stderr
    basic = 'auth = { type = "http_basic", username = "ann", password = "${CRM_KEY}" }'
    rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "cursor", tmp_path / "out.csv", auth=basic)
    assert run_cli("run", str(spec), "-q", cwd=tmp_path).returncode == EXIT_OK
    assert exported_ids(tmp_path / "out.csv", "id") == store_ids(emulator)


def test_a_wrong_data_selector_stops_with_the_fix_not_retries(tmp_path, emulator):
    seed(emulator.state.store, "rest", 30)
    spec = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "offset", tmp_path / "out.csv")
    spec.write_text(spec.read_text().replace('data_selector = "items"', 'data_selector = "data"'))
    refused = run_cli("run", str(spec), cwd=tmp_path)
    assert refused.returncode == EXIT_REFUSED, refused.stdout + refused.stderr
    assert (
        "data_selector 'data' is not a list of records (nothing there; the answer is an object with keys"
        in refused.stdout
    )
    assert "retries 0" in refused.stdout or "0 / 0" in refused.stdout


def test_a_cursor_list_asked_for_in_shards_runs_in_one_process_and_says_why(tmp_path, emulator):
    seed(emulator.state.store, "rest", 60)
    spec = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "cursor", tmp_path / "out.csv", page=20)
    finished = run_cli("run", str(spec), "--workers", "2", cwd=tmp_path)
    assert finished.returncode == EXIT_OK, finished.stdout + finished.stderr
    assert "its pages cannot be split: one process" in finished.stdout + finished.stderr
    assert exported_ids(tmp_path / "out.csv", "id") == store_ids(emulator)


def test_a_migration_from_a_described_api_maps_its_fields_by_their_names_and_verifies(tmp_path, emulator):
    seed(emulator.state.store, "rest", 150)
    spec = write_migrate_spec(tmp_path / "job.toml", "rest", emulator)
    result = run_cli("run", str(spec), "-q", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    migrated = {str(doc["phone_number"]): doc for doc in emulator.state.store.all("rampwin", INTEGRATION)}
    for record in emulator.state.store.all("rest", "demo"):
        contact = migrated[record["phone"].lstrip("+")]
        assert (contact["first_name"], contact["last_name"]) == (record["first_name"], record["last_name"])
        assert contact.get("email") == record["email"] and contact.get("company") == record["company"]
    assert len(migrated) == 150
    checked = run_cli("verify", str(spec), "-q", cwd=tmp_path)
    assert checked.returncode == EXIT_OK, checked.stdout + checked.stderr


@pytest.mark.parametrize("paginator", ["cursor", "page_number"])
async def test_throttling_errors_and_cut_off_bodies_cost_retries_not_records(tmp_path, emulator, paginator):
    # 20 pages: a fault on none of them would be a 1-in-5,000 run. A page's attempt fails about 3 times in 10:
    # its 8 attempts all failing was a 1-in-300 suite run (seen); 20 leave it at about 1 in 10^9.
    seed(emulator.state.store, "rest", 400)
    set_emulator(emulator, throttle_rate=0.15, error_rate=0.15, malformed_rate=0.1, faults_for="rest")
    run = 'rate = "1000/s"\nbackoff_base = 0.01\nbackoff_max = 0.05\nmax_attempts = 20'
    spec = load_spec(rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), paginator, tmp_path / "out.jsonl",
                               page=20, run=run))  # fmt: skip
    result = await run_export(spec, state_path=tmp_path / "state", restart=False, display=make_display(quiet=True))
    assert result.status == "complete", result.message
    assert exported_ids(spec.sink.path, "id") == store_ids(emulator)
    assert emulator_stats(emulator)["faults"] > 0, emulator_stats(emulator)


BUILT_INS_AS_REST = {
    # Rampwin's v3/page: a POST list with its paging in the body (dlt's ``page_body_path``).
    "rampwin": (
        "demo",
        """path = "/api/contacts/v3/page"
method = "POST"
json = { pageSize = 40, integrationId = "demo", pageCountRequired = "yes", showOnlyUsers = false, fitlers = [] }
page_size = 40
paginator = { type = "page_number", base_page = 1, page_body_path = "page", total_path = "data.totalPages" }
data_selector = "data.contacts"
auth = { type = "bearer", token = "${RAMPWIN_TOKEN}" }""",
    ),
    # Kore.ai's contact list: skip/limit, its JWT in a header named "auth", its app and account as headers.
    "kore": (
        "cl-demo",
        """path = "/campaign/api/v2/public/st-1/campaign/contactList/cl-demo/getAllContacts"
params = { accountId = "acc-1" }
paginator = { type = "offset", offset_param = "skip", limit = 40, total_path = "data.totalResults" }
data_selector = "data.results"
auth = { type = "api_key", name = "auth", api_key = "${KORE_JWT}" }
headers = { iid = "app-1", accountId = "acc-1" }""",
    ),
}


@pytest.mark.parametrize("provider", BUILT_INS_AS_REST)
async def test_a_built_ins_list_described_as_a_rest_source_exports_what_the_built_in_does(
    tmp_path, emulator, monkeypatch, provider
):
    scope, declaration = BUILT_INS_AS_REST[provider]
    monkeypatch.setenv("KORE_JWT", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln")
    seed(emulator.state.store, provider, 170, scope)
    spec_path = tmp_path / f"{provider}-as-rest.toml"
    spec_path.write_text(
        f"""[job]
name = "{provider}-as-rest"
[source]
type = "rest"
base_url = "{emulator.base_url(provider)}"
{declaration}
id_field = "_id"
updated_field = "updatedAt"
[sink]
type = "file"
path = "{tmp_path / "out.csv"}"
""",
        encoding="utf-8",
    )
    spec = load_spec(spec_path)
    result = await run_export(spec, state_path=tmp_path / "state", restart=False, display=make_display(quiet=True))
    assert result.status == "complete" and result.counts["pages"] == 5, result.message
    assert exported_ids(spec.sink.path, "_id") == [doc["_id"] for doc in emulator.state.store.all(provider, scope)]


@pytest.mark.parametrize(
    "placed",
    [
        'incremental = { start_param = "updated_after" }',
        'params = { updated_after = "{incremental.start_value}" }',  # dlt's way
    ],
)
async def test_an_incremental_export_asks_only_for_what_changed_since_the_last_complete_run(tmp_path, emulator, placed):
    seed(emulator.state.store, "rest", 90)
    extra = f'mode = "incremental"\n{placed}'
    written = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "offset", tmp_path / "out.jsonl", extra=extra)
    spec = load_spec(written)
    state = tmp_path / "state"
    first = await run_export(spec, state_path=state, restart=False, display=make_display(quiet=True))
    assert first.status == "complete" and first.counts["records"] == 90, first.message
    seed(emulator.state.store, "rest", 25, start=90)
    second = await run_export(spec, state_path=state, restart=False, display=make_display(quiet=True))
    assert second.status == "complete" and second.counts["records"] == 25, second.message
    assert exported_ids(spec.sink.path, "id") == store_ids(emulator)[90:]


@pytest.mark.parametrize(("rule", "requests"), [("", 5), ("stop_after_short_page = true, ", 4)])
async def test_without_a_total_the_list_ends_at_an_empty_page_or_if_asked_at_a_short_one(
    tmp_path, emulator, rule, requests
):
    seed(emulator.state.store, "rest", 130)
    spec_path = rest_spec(tmp_path / "job.toml", emulator.base_url("rest"), "page_number", tmp_path / "out.csv")
    described = spec_path.read_text().replace(', total_path = "meta.total_pages"', "")
    spec_path.write_text(described.replace('type = "page_number", ', f'type = "page_number", {rule}'))
    spec = load_spec(spec_path)
    result = await run_export(spec, state_path=tmp_path / "state", restart=False, display=make_display(quiet=True))
    assert result.status == "complete", result.message
    assert exported_ids(spec.sink.path, "id") == store_ids(emulator)
    assert emulator_stats(emulator)["requests"] == requests  # 130 records, 40 a page
