"""One page request per provider, against aioresponses: headers, auth, classification."""

import re

import pytest
from aioresponses import aioresponses
from pydantic import SecretStr

from bulkcontacts.engine.attempts import Fatal, Retry, RetryNow, Succeeded
from bulkcontacts.providers.fetch import Credentials, PageFetcher
from bulkcontacts.providers.http import new_session
from bulkcontacts.providers.kore import KoreSource
from bulkcontacts.providers.rampwin import RampwinSource
from bulkcontacts.providers.registry import provider_of
from bulkcontacts.providers.smartflo import SmartfloSource
from bulkcontacts.providers.tether import TetherSource


@pytest.fixture
async def session():
    async with new_session(2, 5) as opened:
        yield opened


def fetcher_for(source, session):
    known = provider_of(source)
    api = known.list_api(source, None)
    return PageFetcher(api, Credentials(known.auth(source), source.base_url, session), session)


def sent(mocked):
    return [call for calls in mocked.requests.values() for call in calls]


async def test_rampwin_bearer_and_json_body(session):
    source = RampwinSource(type="rampwin", token=SecretStr("jwt-1"), integration_id="chan")
    with aioresponses() as mocked:
        mocked.post(
            "https://api.rampwin.com/api/contacts/v3/page",
            payload={"success": True, "data": {"contacts": [{"_id": "a"}], "totalPages": 1}},
        )
        result = await fetcher_for(source, session).fetch(0)
        (call,) = sent(mocked)
    assert isinstance(result, Succeeded) and result.value.total_pages == 1
    assert call.kwargs["headers"]["Authorization"] == "Bearer jwt-1"
    assert call.kwargs["json"]["fitlers"] == [] and call.kwargs["json"]["integrationId"] == "chan"


async def test_tether_logs_in_then_lists(session):
    source = TetherSource(type="tether", base_url="https://crm.example.com", email="a@b.c", password=SecretStr("pw-1"))
    with aioresponses() as mocked:
        mocked.post("https://crm.example.com/api/auth/login", payload={"token": "tok-9", "user": {}})
        mocked.get(
            re.compile(r"^https://crm\.example\.com/api/contacts\?.*ownerFilter=all"),
            payload={"success": True, "data": {"contacts": [], "total": 0}},
        )
        result = await fetcher_for(source, session).fetch(0)
        login, listing = sent(mocked)
    assert isinstance(result, Succeeded)
    assert login.kwargs["json"] == {"email": "a@b.c", "password": "pw-1"}
    assert listing.kwargs["headers"]["Authorization"] == "Bearer tok-9"


async def test_kore_headers_and_signed_jwt(session):
    source = KoreSource(
        type="kore",
        stream_id="st",
        contact_list_id="cl",
        account_id="acc",
        iid="app",
        client_id="cid",
        client_secret=SecretStr("sec"),
    )
    with aioresponses() as mocked:
        mocked.get(
            re.compile(r"^https://platform\.kore\.ai/campaign/api/v2/public/st/campaign/contactList/cl/"),
            payload={"status": "success", "data": {"results": [], "hasMore": False, "totalResults": 0}},
        )
        result = await fetcher_for(source, session).fetch(0)
        (call,) = sent(mocked)
    headers = call.kwargs["headers"]
    assert isinstance(result, Succeeded) and result.value.total_records == 0
    assert headers["iid"] == "app" and headers["accountId"] == "acc" and headers["auth"].count(".") == 2


async def test_smartflo_expired_token_logs_in_again(session):
    source = SmartfloSource(type="smartflo", email="a@b.c", password=SecretStr("pw"))
    with aioresponses() as mocked:
        mocked.post(
            "https://api-smartflo.tatateleservices.com/v1/auth/login",
            payload={"success": True, "access_token": "first", "token_type": "bearer", "expires_in": 3600},
        )
        mocked.post(
            "https://api-smartflo.tatateleservices.com/v1/auth/login",
            payload={"success": True, "access_token": "second", "token_type": "bearer", "expires_in": 3600},
        )
        listing = re.compile(r"^https://api-smartflo\.tatateleservices\.com/v1/contacts")
        mocked.get(listing, status=401, payload={"message": "expired"})
        mocked.get(listing, payload={"page": 1, "size": 0, "limit": 100, "results": []})
        fetcher = fetcher_for(source, session)
        first = await fetcher.fetch(0)
        second = await fetcher.fetch(0)
        calls = sent(mocked)
    assert isinstance(first, RetryNow) and "logged in again" in first.reason
    assert isinstance(second, Succeeded)
    assert calls[-1].kwargs["headers"]["Authorization"] == "Bearer second"


async def test_smartflo_429_with_string_false(session):
    source = SmartfloSource(type="smartflo", token=SecretStr("t"))
    with aioresponses() as mocked:
        mocked.get(
            re.compile(r"^https://api-smartflo"),
            status=429,
            payload={"success": "false", "message": "Too many requests."},
            headers={"Retry-After": "2"},
        )
        result = await fetcher_for(source, session).fetch(0)
    assert isinstance(result, Retry) and result.throttled and result.retry_after == 2
    assert "Too many requests." in result.reason


async def test_a_permanent_token_refused_is_fatal(session):
    source = SmartfloSource(type="smartflo", token=SecretStr("t"))
    with aioresponses() as mocked:
        mocked.get(re.compile(r"^https://api-smartflo"), status=401, payload={"message": "bad token"})
        result = await fetcher_for(source, session).fetch(0)
    assert isinstance(result, Fatal) and "t" not in result.reason.split()


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_a_login_refused_with_a_4xx_is_fatal_naming_the_credential(session, status):
    """Not an outage to retry for give_up_after: what was sent is wrong (an unknown email, here)."""
    source = SmartfloSource(type="smartflo", email="nobody@example.com", password=SecretStr("pw"))
    with aioresponses() as mocked:
        mocked.post(
            "https://api-smartflo.tatateleservices.com/v1/auth/login",
            status=status,
            payload={"message": "no account with this email"},
        )
        answer = await fetcher_for(source, session).fetch(0)
    assert isinstance(answer, Fatal)
    assert "no account with this email" in answer.reason and "[source] email and password" in answer.reason
