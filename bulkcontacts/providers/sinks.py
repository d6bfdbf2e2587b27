"""Where an import or a migration writes: the ``[sink]`` table → the pool's writer and, when the sink can
say whether a contact is there already, its look-up (for rows whose answer was lost)."""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp

from bulkcontacts.config.sinks import RampwinSink, RestSink
from bulkcontacts.engine.attempts import Attempt
from bulkcontacts.engine.pacing import Pacer
from bulkcontacts.providers.rampwin_lookup import ChannelLookup
from bulkcontacts.providers.rampwin_write import RampwinWriter, rampwin_headers


class Writer(Protocol):
    async def send(self, payload: dict[str, Any], maybe_applied: bool) -> Attempt:
        """One attempt to write one mapped row. ``maybe_applied``: an earlier attempt may have written it."""
        ...


class Lookup(Protocol):
    async def find(self, phone: str) -> str | None:
        """The id of the contact with ``phone`` (digits with country code) in the sink, "" when it is there
        with no id given, None when it is not there. Raises ``LookupFailed``."""
        ...


def session_headers(sink: RampwinSink | RestSink) -> dict[str, str]:
    """What every request of the sink's writer sends, for its session to carry (a REST sink's: none; its
    auth may be renewed mid-run)."""
    return {} if isinstance(sink, RestSink) else rampwin_headers(sink)


def writer_for(
    sink: RampwinSink | RestSink, session: aiohttp.ClientSession, pacer: Pacer
) -> tuple[Writer, Lookup | None]:
    """The sink's writer, and its look-up (None: in-doubt rows are decided by the answers alone)."""
    if isinstance(sink, RestSink):
        from bulkcontacts.providers.rest_write import rest_writer

        writer = rest_writer(sink, session, pacer)
        return writer, writer.finder

    lookup = ChannelLookup(sink, session, pacer) if sink.token and sink.mode == "create" else None
    return RampwinWriter(sink, session, lookup), lookup
