"""``[source] type = "rest"``: the paginators, the requests and pages of a described API, its spec checks."""

import base64
import re
import tomllib
from pathlib import Path

import pytest
from pydantic import SecretStr

from bulkcontacts.config.load import load_spec
from bulkcontacts.errors import UsageError
from bulkcontacts.providers.base import PageError, PageRefused, PageResult
from bulkcontacts.providers.kore import KoreSource, kore_list
from bulkcontacts.providers.paginators import (
    HeaderLinkPaginator,
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    at,
    next_link,
)
from bulkcontacts.providers.paging import PagePlan, repeated_next
from bulkcontacts.providers.rampwin import RampwinSource, rampwin_list
from bulkcontacts.providers.registry import BUILT_IN
from bulkcontacts.providers.rest import RestAuth, RestList, RestSource
from bulkcontacts.providers.smartflo import SmartfloSource, smartflo_list
from bulkcontacts.providers.tether import TetherSource, tether_list

BASE = "https://crm.example.com"
JWT = SecretStr("eyJhbGciOiJIUzI1NiJ9.e30.c2ln")


def source(**keys):
    table = {"type": "rest", "base_url": BASE, "path": "/v1/contacts", "paginator": {"type": "cursor"}, **keys}
    return RestSource.model_validate(table)


def records(*ids):
    return [{"id": value, "name": f"n{value}"} for value in ids]


def test_numbered_paginators_ask_by_number_and_read_their_totals():
    pages = PageNumberPaginator(page_param="p", base_page=1, total_path="meta.total_pages")
    assert pages.random_access and pages.ask(0, None).params == {"p": "1"} and pages.ask(4, "x").params == {"p": "5"}
    assert pages.read({"meta": {"total_pages": "7"}}, {}).total_pages == 7
    with pytest.raises(PageError, match="'meta.total_pages' is None"):
        pages.read({"meta": {}}, {})
    offsets = OffsetPaginator(limit=50, offset=100, total_path="$.total")
    assert offsets.ask(2, None).params == {"offset": "200", "limit": "50"}
    assert offsets.read({"total": 260}, {}).total_records == 160  # from the first offset on
    assert offsets.is_last(0, PageResult([])) and not offsets.is_last(0, PageResult(records(1)))
    capped = OffsetPaginator(limit=10, maximum_offset=30)
    assert not capped.is_last(1, PageResult(records(1))) and capped.is_last(2, PageResult(records(1)))
    more = PageNumberPaginator(has_more_path="has_more")
    assert more.read({"has_more": False}, {}).has_more is False
    with pytest.raises(PageError, match="not true or false"):
        more.read({"has_more": "no"}, {})
    assert PageNumberPaginator(maximum_page=3, base_page=1).is_last(2, PageResult(records(1)))


def test_sequential_paginators_follow_the_cursor_or_link_and_end_without_one():
    cursor = JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")
    assert not cursor.random_access
    assert cursor.ask(0, None).params == {} and cursor.ask(3, "Mzk").params == {"after": "Mzk"}
    assert cursor.read({"paging": {"next": {"after": "Mzk"}}}, {}).next == "Mzk"
    assert (
        cursor.read({"results": []}, {}).next is None
        and cursor.read({"paging": {"next": {"after": ""}}}, {}).next is None
    )
    assert cursor.read({"paging": {"next": {"after": 120}}}, {}).next == "120"  # a number is a cursor too
    with pytest.raises(PageError, match="not a cursor"):
        cursor.read({"paging": {"next": {"after": {"x": 1}}}}, {})
    links = JSONLinkPaginator(next_url_path="links.next")
    assert links.ask(0, None).url is None and links.ask(1, f"{BASE}/v1/x?t=2").url == f"{BASE}/v1/x?t=2"
    assert links.read({"links": {"next": None}}, {}).next is None
    header = HeaderLinkPaginator()
    sent = {"Link": f'<{BASE}/v1/c?since=40>; rel="next", <{BASE}/v1/c?since=0>; rel="first"'}
    assert header.read([], sent).next == f"{BASE}/v1/c?since=40" and header.read([], {}).next is None
    assert header.is_last(0, PageResult(records(1))) and not header.is_last(0, PageResult(records(1), next="u"))


def test_a_post_list_takes_its_paging_in_the_json_body_where_the_spec_says():
    pages = RestList(
        source(
            method="POST",
            json={"integrationId": "demo", "paging": {"size": 40}},
            paginator={"type": "page_number", "base_page": 1, "page_body_path": "paging.page"},
        )
    )
    request = pages.request(2)
    assert request.json == {"integrationId": "demo", "paging": {"size": 40, "page": 3}} and request.params == {}
    assert pages.source.body == {"integrationId": "demo", "paging": {"size": 40}}  # the template is not changed
    offsets = OffsetPaginator(limit=25, limit_body_path="$.limit").ask(2, None)
    assert offsets.params == {"offset": "50"} and offsets.body == {"$.limit": 25}
    cursor = JSONResponseCursorPaginator(cursor_body_path="after")
    assert cursor.ask(0, None).body == {} and cursor.ask(1, "Mzk").body == {"after": "Mzk"}
    with pytest.raises(ValueError, match="paginator.page_body_path puts the paging in the JSON body: it needs method"):
        source(paginator={"type": "page_number", "page_body_path": "page"})


def test_a_short_page_ends_the_list_only_when_the_spec_says_so():
    full, short = PageResult(records(*range(10))), PageResult(records(1, 2))
    plain = RestList(source(paginator={"type": "page_number"}, page_size=10))
    assert not plain.is_last(0, short)  # dlt's rule: an empty page ends it (the API may cap the size)
    opted = RestList(source(paginator={"type": "page_number", "stop_after_short_page": True}, page_size=10))
    assert opted.is_last(0, short) and not opted.is_last(0, full)
    offsets = RestList(source(paginator={"type": "offset", "limit": 10, "stop_after_short_page": True}))
    assert offsets.is_last(0, short) and not offsets.is_last(0, full)
    says_more = PageResult(short.records, has_more=True)  # the answer's has_more is believed over its length
    assert not opted.is_last(0, says_more) and not offsets.is_last(0, says_more)
    with pytest.raises(ValueError, match="stop_after_short_page needs page_size"):
        source(paginator={"type": "page_number", "stop_after_short_page": True})


def test_the_link_header_is_read_as_rfc_8288_writes_it():
    assert next_link('<https://a/x?page=2>; rel="next last"') == "https://a/x?page=2"  # rel lists several
    assert next_link("<https://a/x?page=1>; rel=prev, <https://a/x?page=3>;rel=next") == "https://a/x?page=3"
    assert next_link('<https://a/x>; title="next"; rel="prev"') is None
    assert next_link("") is None


def test_a_dotted_path_reaches_into_objects_and_lists():
    body = {"data": {"items": [{"id": 1}, {"id": 2}]}}
    assert at(body, "$") is body and at(body, "$.data.items.1.id") == 2 and at(body, "data.missing.id") is None


def test_a_sequential_list_that_hands_back_its_own_cursor_is_a_loop():
    assert repeated_next(4, "abc", PageResult(records(1), next="abc")) is not None
    assert "loop detected" in repeated_next(4, "abc", PageResult(records(1), next="abc"))
    assert repeated_next(4, "abc", PageResult(records(1), next="abd")) is None
    assert repeated_next(0, None, PageResult(records(1), next="abc")) is None


def test_requests_carry_the_static_params_the_paginator_and_the_incremental_mark():
    api = RestList(
        source(
            params={"limit": 40, "archived": False},
            mode="incremental",
            incremental={"start_param": "updated_since", "initial_value": "2024-01-01"},
        ),
        "2024-05-08T10:00:00Z",
    )
    request = api.request(2, "Mzk")
    assert request.method == "GET" and request.path == "/v1/contacts" and request.url is None
    assert request.params == {
        "limit": "40",
        "archived": "false",
        "updated_since": "2024-05-08T10:00:00Z",
        "cursor": "Mzk",
    }
    first_run = RestList(
        source(mode="incremental", incremental={"start_param": "since", "initial_value": "2024-01-01"})
    )
    assert first_run.request(0).params == {"since": "2024-01-01"}
    posted = RestList(source(method="POST", json={"filter": {"list": 7}}, paginator={"type": "page_number"}))
    assert posted.request(1).json == {"filter": {"list": 7}} and posted.request(1).params == {"page": "1"}


def test_params_and_json_name_the_incremental_mark_as_dlt_does_and_leave_it_out_while_there_is_none():
    templated = {
        "method": "POST",
        "params": {"since": "{incremental.start_value}", "limit": 50},
        "json": {"filter": {"updated": {"gt": "{incremental.start_value}"}, "from": "{incremental.initial_value}"}},
        "mode": "incremental",
    }
    later = RestList(source(**templated, incremental={"initial_value": "2024-01-01"}), "2024-05-08T10:00:00Z")
    assert later.request(0).params == {"since": "2024-05-08T10:00:00Z", "limit": "50"}
    assert later.request(0).json == {"filter": {"updated": {"gt": "2024-05-08T10:00:00Z"}, "from": "2024-01-01"}}
    first = RestList(source(**templated, incremental={"initial_value": "2024-01-01"}))
    assert first.request(0).params["since"] == "2024-01-01"
    full = RestList(source(**{**templated, "mode": "full"}))  # no mark: each value naming one is left out
    assert full.request(0).params == {"limit": "50"} and full.request(0).json == {"filter": {"updated": {}}}


def test_a_page_is_found_where_the_spec_says_or_as_the_one_list():
    api = RestList(source(data_selector="data.items"))
    assert api.parse({"data": {"items": records(1, 2)}}).records == records(1, 2)
    assert RestList(source()).parse({"results": records(3), "paging": {}}).records == records(3)
    assert RestList(source(paginator={"type": "header_link"})).parse(records(4)).records == records(4)
    with pytest.raises(PageRefused, match="several lists \\(results, errors\\)"):
        RestList(source()).parse({"results": records(1), "errors": []})
    with pytest.raises(
        PageRefused, match="data_selector 'data.items' is not a list of records \\(nothing there; the answer is an"
    ):
        api.parse({"data": {}})
    with pytest.raises(PageRefused, match="record 2 has no 'id' \\(its keys: uid, name\\); set \\[source\\] id_field"):
        RestList(source()).parse([{"id": 1}, {"uid": 2, "name": "x"}])
    assert RestList(source(id_field="uid")).parse([{"uid": 9}]).records == [{"uid": 9}]
    wide = {f"field_{number}": number for number in range(14)}
    with pytest.raises(PageRefused, match="field_11 and 2 more\\); set"):  # a long list says it was cut
        RestList(source()).parse([wide])
    with pytest.raises(PageRefused, match="the answer is an object with keys entries, count\\); set"):
        RestList(source(data_selector="items")).parse({"entries": [], "count": 0})


def test_next_links_stay_on_the_base_urls_origin_and_never_keep_a_query_key():
    keyed = {"type": "api_key", "name": "api_key", "api_key": "s3cret", "location": "query"}
    api = RestList(source(paginator={"type": "json_link", "next_url_path": "next"}, auth=keyed))
    page = api.parse({"items": records(1), "next": "/v1/contacts?page_token=Mg&api_key=s3cret&limit=40"})
    assert page.next == f"{BASE}/v1/contacts?page_token=Mg&limit=40"  # resolved, the key taken out
    request = api.request(1, page.next)
    assert request.url == page.next and request.params == {"api_key": "s3cret"}  # added back, never kept
    for foreign in ("https://evil.example.net/v1/contacts?page_token=Mg", "http://crm.example.com/v1/contacts",
                    "https://crm.example.com:8443/v1/contacts"):  # fmt: skip
        with pytest.raises(PageRefused, match="credentials are sent to that origin only"):
            api.parse({"items": records(1), "next": foreign})


def test_each_auth_type_becomes_its_headers():
    bearer = RestAuth(source(auth={"type": "bearer", "token": "t0k"}).auth)
    assert bearer.headers("")["Authorization"] == "Bearer t0k" and not bearer.can_refresh
    header_key = RestAuth(source(auth={"type": "api_key", "name": "X-API-Key", "api_key": "k"}).auth)
    assert header_key.headers("")["X-API-Key"] == "k"
    query_key = RestAuth(source(auth={"type": "api_key", "name": "key", "api_key": "k", "location": "query"}).auth)
    assert "key" not in query_key.headers("") and "Authorization" not in query_key.headers("")
    basic = RestAuth(source(auth={"type": "http_basic", "username": "ann", "password": "pw"}).auth)
    assert basic.headers("")["Authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()


def test_a_page_count_without_a_page_size_expects_only_non_empty_pages():
    plan = PagePlan(None, 100)
    api = RestList(source(paginator={"type": "page_number", "total_path": "pages"}))
    plan.learn(0, api.parse({"items": records(1, 2), "pages": 3}), api)
    assert plan.total_pages == 3 and plan.shortfall(1, PageResult(records(5))) is None
    assert "has 0 records, expected at least 1" in plan.shortfall(1, PageResult([]))


SINK_REST = (
    'type = "rest"\nbase_url = "https://sink.example.com"\npath = "/v1/people"\nbody = { phone = "{phone_e164}" }'
)
SPEC = """
[job]
name = "rest"
[source]
type = "rest"
base_url = "https://crm.example.com"
path = "/v1/contacts"
{source}
[sink]
type = "file"
path = "out.csv"
{sink}
"""


@pytest.mark.parametrize(
    ("source_keys", "sink_keys", "message"),
    [
        ('paginator = { type = "cursor" }', "normalize = true", r"\[sink\] normalize: a rest source's fields"),
        ("", "", r"\[source\].*paginator"),
        ('paginator = { type = "next_page" }', "", r"paginator"),
        ('paginator = { type = "cursor" }\nmode = "incremental"', "", r"needs incremental = \{ start_param"),
        ('paginator = { type = "offset", limit = 50 }\npage_size = 100', "", "give the page size once"),
        ('paginator = { type = "cursor" }\nparams = { q = "{incremental.since}" }', "", r"not \{incremental.since\}"),
        (
            'paginator = { type = "cursor" }\nparams = { q = "updated>{incremental.start_value}" }',
            "",
            "must be the whole value",
        ),
        ('paginator = { type = "cursor" }\nauth = { type = "bearer", token = "abc" }', "", r"auth.token: secrets"),
        ('paginator = { type = "cursor", cursor_param = " after" }', "", r"cursor_param"),
        ('paginator = { type = "cursor" }\ndata_selector = "data..items"', "", r"data_selector"),
        (
            'paginator = { type = "cursor", cursor_paths = "x" }',
            "",
            r"paginator.cursor_paths: unknown key; did you mean 'cursor_path'",
        ),
    ],
)
def test_a_wrong_rest_spec_is_refused_naming_the_key(tmp_path, source_keys, sink_keys, message):
    path = tmp_path / "rest.toml"
    path.write_text(SPEC.format(source=source_keys, sink=sink_keys), encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_spec(path)


def test_normalize_is_refused_however_the_export_is_built():
    """From a spec file (above) or in Python through the public API: a declared API has no shared columns."""
    from pydantic import ValidationError

    from bulkcontacts.config.jobs import ExportJob
    from bulkcontacts.config.run import JobTable
    from bulkcontacts.config.sinks import FileSink

    sink = FileSink(type="file", path="out.csv", normalize=True)
    with pytest.raises(ValidationError, match="no shared columns to write; remove normalize"):
        ExportJob(job=JobTable(name="rest"), source=source(), sink=sink)
    with pytest.raises(UsageError, match="remove \\[sink\\] normalize"):
        RestList(source()).normalize({"id": 1})


def readme_declarations():
    """The README's TOML blocks that begin ``# [source] type = "<name>"``: the built-ins as declarations."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(# \[source\] type = \"(\w+)\".*?)```", readme, flags=re.S)
    return {name: tomllib.loads(block) for block, name in blocks}


def test_the_readme_shows_each_built_in_source_as_the_declaration_it_is():
    shown = readme_declarations()
    built = {
        "rampwin": rampwin_list(RampwinSource(type="rampwin", token=SecretStr("t"), integration_id="chan-1")),
        "tether": tether_list(
            TetherSource(type="tether", base_url="https://your-instance.example.com", token=SecretStr("t"))
        ),
        "kore": kore_list(
            KoreSource(type="kore", stream_id="st-1", contact_list_id="cl-1", account_id="acc-1", iid="app-1", jwt=JWT)
        ),
        "smartflo": smartflo_list(SmartfloSource(type="smartflo", token=SecretStr("t"))),
    }
    assert set(shown) == set(built) == set(BUILT_IN) - {"rest"}
    for name, api in built.items():
        assert RestSource.model_validate(shown[name]).model_dump() == api.source.model_dump(), name


def test_other_headers_are_sent_and_held_as_secrets():
    described = source(headers={"iid": "app-1", "X-Account": "acc-1"}, auth={"type": "bearer", "token": "t0k"})
    sent = RestAuth(described.auth, described.headers).headers("")
    assert sent["iid"] == "app-1" and sent["X-Account"] == "acc-1" and sent["Authorization"] == "Bearer t0k"
    assert "acc-1" not in repr(described) and "acc-1" not in described.model_dump_json()
    with pytest.raises(ValueError, match="headers"):
        source(headers={"bad name": "x"})


@pytest.mark.parametrize(
    ("source_rate", "sink", "run", "expected"),
    [
        ('rate = "60/min"', 'type = "file"\npath = "out.csv"', "", {"rate": 60 / 60, "window": 60.0}),
        ('rate = "5/s"', SINK_REST + '\nrate = "20/s"', "", {"rate": 20.0, "fetch_rate": 5.0}),
        ("", SINK_REST + '\nrate = "20/s"', "[run]\nrate = 20", {"rate": 20.0}),
    ],
)
def test_a_rest_tables_rate_is_the_api_limit_pacing_the_phase_that_calls_it(tmp_path, source_rate, sink, run, expected):
    path = tmp_path / "rated.toml"
    path.write_text(
        f'[job]\nname = "rated"\n[source]\ntype = "rest"\nbase_url = "{BASE}"\npath = "/v1/contacts"\n'
        f'paginator = {{ type = "cursor" }}\n{source_rate}\n[sink]\n{sink}\n{run}\n',
        encoding="utf-8",
    )
    pacing = load_spec(path).run
    assert pacing.rate == expected["rate"] and pacing.fetch_rate == expected.get("fetch_rate")
    assert pacing.rate_window == expected.get("window", 1.0)


def test_a_rate_given_twice_differently_is_refused(tmp_path):
    path = tmp_path / "twice.toml"
    path.write_text(
        f'[job]\nname = "twice"\n[source]\ntype = "rest"\nbase_url = "{BASE}"\npath = "/v1/contacts"\n'
        'paginator = { type = "cursor" }\nrate = "5/s"\n[sink]\ntype = "file"\npath = "out.csv"\n[run]\nrate = 9\n',
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match=r"\[source\] rate = '5/s' and \[run\] rate = 9 say two things"):
        load_spec(path)
