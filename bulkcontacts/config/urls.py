"""Base URLs judged on their parsed form, so credentials never go where the text only seems to point."""

from __future__ import annotations

import ipaddress

from yarl import URL

from bulkcontacts.errors import UsageError


def check_base_url(key: str, url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse a base URL that would leak credentials: decided on the *parsed* URL (yarl, as aiohttp parses
    it), never on its text, so ``http://localhost.example.com`` or ``http://127.0.0.1.evil.net`` is not
    loopback, and user-info before the host is refused outright."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as error:
        raise UsageError(f"{key}: {url!r} is not a URL ({error})") from None
    if parsed.scheme not in ("http", "https"):
        raise UsageError(
            f"{key}: the scheme {parsed.scheme or '(none)'!r} is not allowed; write https://host[:port][/path]"
        )
    if not parsed.host:
        raise UsageError(f"{key}: {url!r} names no host; write https://host[:port][/path]")
    if parsed.user is not None or parsed.password is not None:
        raise UsageError(
            f"{key}: user-info before the host (user:password@) is refused: it would be sent to "
            "the server in clear; remove it and give credentials with the spec's own keys"
        )
    if parsed.query_string or parsed.fragment:
        raise UsageError(f"{key}: {url!r} carries a query or fragment; give the API's root only")
    if parsed.scheme == "http" and not is_loopback(parsed.host) and not allow_insecure_http:
        raise UsageError(
            f"{key}: plain http:// to {parsed.host} would send credentials in clear text; use "
            "https:// (or set allow_insecure_http = true)"
        )


def is_loopback(host: str) -> bool:
    """An IP literal in 127.0.0.0/8, ``::1``, or exactly ``localhost``; never a name that merely starts so."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
