"""HTTP answers classified into what the pool must do, for every provider's error shapes."""

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from bulkcontacts.engine.attempts import Fatal, Refused, Retry
from bulkcontacts.providers.http import classify_failure, parse_retry_after, transport_failure, window_full


def classify(status, body=None, headers=None):
    return classify_failure(status, body, headers or {}, provider="rampwin", credential_hint="[sink] api_key")


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_transient_statuses_are_retried(status):
    assert isinstance(classify(status, {"message": "busy"}), Retry)


def test_a_429_is_throttled_and_carries_retry_after():
    answer = classify(429, {"message": "Too many requests"}, {"Retry-After": "7"})
    assert answer == Retry("HTTP 429: Too many requests", 429, 7.0, throttled=True)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_stop_the_run_and_name_the_key_never_its_value(status):
    answer = classify(status, {"message": "Invalid API key"})
    assert isinstance(answer, Fatal) and "[sink] api_key" in answer.reason and "Invalid API key" in answer.reason


def test_a_wrong_path_stops_the_run_pointing_at_base_url():
    answer = classify(404, "<html><body><h1>Not Found</h1></body></html>")
    assert isinstance(answer, Fatal) and "base_url" in answer.reason and "<h1>" not in answer.reason


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (
            {"success": False, "message": "Validation error or duplicate contact"},
            "Validation error or duplicate contact",
        ),
        ({"error": {"code": "invalid", "message": "Invalid phone"}}, "Invalid phone"),
        ({"success": False, "errors": {"message": "Invalid request parameters"}}, "Invalid request parameters"),
        ("plain words", "plain words"),
    ],
)
def test_a_400_refuses_the_one_record_with_the_servers_own_words(body, shown):
    assert classify(400, body) == Refused(shown, 400)


def test_retry_after_as_seconds_or_http_date_and_garbage_ignored():
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_a_full_rate_limit_window_is_seen_in_either_header_spelling():
    assert window_full({"X-RateLimit-Remaining": "1"}) and window_full({"RateLimit-Remaining": "0"})
    assert not window_full({"X-RateLimit-Remaining": "50"}) and not window_full({"X-RateLimit-Remaining": "x"})
    answered = CIMultiDictProxy(CIMultiDict([("x-ratelimit-remaining", "2"), ("content-type", "application/json")]))
    assert window_full(answered)  # an answer's headers, in whatever case the server wrote them
    assert window_full(CIMultiDictProxy(CIMultiDict([("RATELIMIT-REMAINING", "0")])))


def test_a_request_that_never_connected_was_certainly_not_applied():
    refused = aiohttp.ClientConnectorError(connection_key=None, os_error=OSError(111, "refused"))  # type: ignore[arg-type]
    assert transport_failure(refused).maybe_applied is False
    assert transport_failure(TimeoutError()).maybe_applied is True
    assert transport_failure(aiohttp.ServerDisconnectedError()).maybe_applied is True
