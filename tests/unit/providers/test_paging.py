"""Pure paginator tests: feed responses, check the next request and the stop."""

import base64
import hashlib
import hmac
import json

import pytest
from pydantic import SecretStr

from bulkcontacts.providers.base import PageError, PageResult
from bulkcontacts.providers.kore import KoreSource, kore_list, sign_jwt
from bulkcontacts.providers.paging import PagePlan, PagingError, signature
from bulkcontacts.providers.rampwin import RampwinSource, rampwin_list
from bulkcontacts.providers.smartflo import SmartfloSource, smartflo_list
from bulkcontacts.providers.tether import TetherSource, tether_list


def records(count, start=0, key="_id"):
    return [{key: f"r{start + index}"} for index in range(count)]


def rampwin(**extra):
    return rampwin_list(
        RampwinSource(type="rampwin", token=SecretStr("t"), integration_id="chan", page_size=10, **extra)
    )


def test_rampwin_request_uses_the_documented_body_and_spelling():
    request = rampwin(filters=[[{"field_name": "city", "operator": "equals", "field_value": "Pune"}]]).request(2)
    assert request.method == "POST" and request.path == "/api/contacts/v3/page"
    assert request.json == {
        "page": 3,
        "pageSize": 10,
        "integrationId": "chan",
        "pageCountRequired": "yes",
        "showOnlyUsers": False,
        "contactQueryType": [],
        "fitlers": [[{"field_name": "city", "operator": "equals", "field_value": "Pune"}]],
    }


def test_rampwin_incremental_sorts_and_filters_on_updated_at():
    request = rampwin_list(
        RampwinSource(type="rampwin", token=SecretStr("t"), integration_id="c"), since="2024-05-01T00:00:00Z"
    ).request(0)
    assert request.json["sortFilter"] == [{"field": "updatedAt", "order": "asc"}]
    assert request.json["fitlers"] == [
        [{"field_name": "updatedAt", "operator": "greater_than", "field_value": "2024-05-01T00:00:00Z"}]
    ]


def test_rampwin_total_pages_plan_completes_exactly():
    api = rampwin()
    plan = PagePlan(10, 1000)
    page = api.parse({"success": True, "data": {"contacts": records(10), "page": 1, "pageSize": 10, "totalPages": 3}})
    plan.learn(0, page, api)
    assert plan.total_pages == 3 and plan.knows_total


def test_rampwin_error_body_is_not_a_page():
    with pytest.raises(ValueError):
        rampwin().parse({"success": False, "errors": {"message": "Invalid request parameters"}})


def test_tether_reads_data_not_the_top_level_copy_and_sends_filters():
    api = tether_list(
        TetherSource(
            type="tether",
            base_url="https://x.example",
            token=SecretStr("t"),
            page_size=50,
            status="qualified",
            date_range={"start": "2024-01-01T00:00:00Z"},
        )
    )
    request = api.request(1)
    assert request.params["page"] == "2" and request.params["size"] == "50" and request.params["ownerFilter"] == "all"
    assert request.params["status"] == "qualified"
    assert json.loads(request.params["dateRange"]) == {"start": "2024-01-01T00:00:00Z"}
    page = api.parse(
        {
            "success": True,
            "data": {"contacts": records(50), "total": 120, "page": 1, "size": 50},
            "meta": {},
            "contacts": records(3, 900),
            "total": 999,
        }
    )
    assert len(page.records) == 50 and page.total_records == 120
    at_the_top = api.parse({"success": True, "data": {"contacts": records(50)}, "total": 120})
    assert at_the_top.total_records == 120  # a record count, in data or at the top
    assert api.parse({"success": True, "data": {"contacts": records(7)}}).total_records is None
    assert api.is_last(3, api.parse({"success": True, "data": {"contacts": records(7)}}))  # short: the last
    plan = PagePlan(50, 1000)
    plan.learn(0, page, api)
    assert plan.total_pages == 3 and plan.expected_records(2) == 20


def test_kore_skip_limit_and_paging_fields_at_the_top_level():
    api = kore_list(
        KoreSource(
            type="kore",
            stream_id="st",
            contact_list_id="cl",
            account_id="acc",
            iid="app",
            jwt=SecretStr("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"),
            page_size=25,
        )
    )
    request = api.request(3)
    assert request.path == "/campaign/api/v2/public/st/campaign/contactList/cl/getAllContacts"
    assert request.params == {"accountId": "acc", "skip": "75", "limit": "25"}
    top = api.parse({"status": "success", "data": {"results": records(25)}, "hasMore": True, "totalResults": 60})
    assert top.total_records == 60 and top.has_more is True
    last = api.parse({"status": "success", "data": {"results": records(10), "hasMore": False}})
    assert api.is_last(2, last) and last.total_records is None
    short_but_more = api.parse({"status": "success", "data": {"results": records(10), "hasMore": True}})
    assert not api.is_last(2, short_but_more)  # the answer's own hasMore is believed over its length
    assert api.is_last(2, api.parse({"status": "success", "data": {"results": records(10)}}))  # no hasMore: short
    pages_only = api.parse({"status": "success", "data": {"results": records(25), "totalPages": 3}})
    assert pages_only.total_pages == 3 and pages_only.total_records is None
    with pytest.raises(PageError, match="status: success"):  # a built-in's error answer is asked for again
        api.parse({"status": "failure", "data": {"results": []}})


def test_kore_signs_hs256_with_the_client_secret():
    token = sign_jwt("client-1", "secret-1", now=1700000000)
    header, payload, signature_part = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=="))  # noqa: E731
    assert decode(header) == {"alg": "HS256", "typ": "JWT"}
    assert decode(payload)["appId"] == "client-1" and decode(payload)["sub"] == "client-1"
    expected = hmac.new(b"secret-1", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature_part + "==") == expected


def test_smartflo_has_no_total_and_stops_on_a_short_or_empty_page():
    api = smartflo_list(
        SmartfloSource(
            type="smartflo",
            token=SecretStr("t"),
            page_size=100,
            contact_group_id="7",
            updated_after="2024-05-01T00:00:00Z",
        )
    )
    assert api.request(0).params == {
        "page": "1",
        "limit": "100",
        "contact_group_id": "7",
        "updated_after": "2024-05-01T00:00:00Z",
    }
    plan = PagePlan(100, 1000)
    full = api.parse({"page": 1, "size": 100, "limit": 100, "results": records(100, key="id")})
    plan.learn(0, full, api)
    assert plan.pages_known() is None
    empty = api.parse({"page": 2, "size": 0, "limit": 100, "results": []})
    plan.learn(1, empty, api)
    assert plan.pages_known() == 2


def test_a_page_short_of_the_total_is_named():
    plan = PagePlan(100, 1000)
    api = rampwin()
    plan.learn(0, PageResult(records(100), total_pages=50), api)
    problem = plan.shortfall(30, PageResult([]))
    assert problem == "page 31 of 50 has 0 records, expected 100"
    assert plan.shortfall(49, PageResult(records(3))) is None  # the last page may be short without a total


def test_the_last_page_must_complete_the_total_records():
    plan = PagePlan(50, 1000)
    api = tether_list(TetherSource(type="tether", base_url="https://x.example", token=SecretStr("t")))
    plan.learn(0, PageResult(records(50), total_records=120), api)
    assert "expected 20" in plan.shortfall(2, PageResult(records(12)))


@pytest.mark.parametrize("page", [PageResult([], total_records=0), PageResult([], total_pages=0)])
def test_an_empty_list_is_complete_after_its_one_empty_page(page):
    plan = PagePlan(100, 1000)
    plan.learn(0, page, rampwin())
    assert plan.shortfall(0, page) is None and plan.pages_known() == 0


def test_safety_cap_on_pages():
    plan = PagePlan(10, 5)
    with pytest.raises(PagingError, match="safety cap"):
        plan.learn(0, PageResult(records(10), total_pages=6), rampwin())
    endless = PagePlan(10, 3)
    smartflo = smartflo_list(SmartfloSource(type="smartflo", token=SecretStr("t"), page_size=10))
    endless.learn(0, PageResult(records(10, key="id")), smartflo)
    endless.learn(1, PageResult(records(10, key="id")), smartflo)
    with pytest.raises(PagingError, match="no last page"):
        endless.learn(2, PageResult(records(10, key="id")), smartflo)


def test_page_signature_spots_a_repeated_page():
    assert signature(records(5), "_id") == signature(records(5), "_id")
    assert signature(records(5), "_id") != signature(records(5, 5), "_id")
    assert signature([], "_id") is None
