"""A REST sink's body template: which fields it names, and the body one mapped row becomes (pure).

The fields are the mapped row's (``phone_number`` as digits, ``full_name``, ``email``, ``tags``, each custom
attribute by its name, …) plus ``phone_e164`` (``+digits``); how a template is filled is
``config/placeholders.py``'s.
"""

from __future__ import annotations

import difflib
from typing import Any

from bulkcontacts.config.placeholders import placeholders, render
from bulkcontacts.config.sinks import RestSink
from bulkcontacts.contacts.mapping import CORE_FIELDS
from bulkcontacts.errors import UsageError


def check_body(sink: RestSink, attributes: list[str]) -> None:
    """Refuse a body template that names a field no mapped row has (``attributes``: the custom attributes'
    names); the closest name is suggested."""
    known = {*CORE_FIELDS, "tags", "phone_e164", *attributes}
    for name in sorted(placeholders(sink.body) - known):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean {{{close[0]}}}? " if close else ""
        raise UsageError(
            f"[sink] body: {{{name}}} is not a field of the mapped rows; {hint}the fields are phone_e164, "
            f"{', '.join(CORE_FIELDS)}, tags"
            + (f" and the custom attributes {', '.join(attributes)}" if attributes else "")
        )


def fields_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields a body template may name: the mapped row's, and the phone as ``+digits``."""
    fields = {key: value for key, value in payload.items() if key != "integration_id"}
    fields["phone_e164"] = f"+{payload['phone_number']}"
    return fields


def render_body(sink: RestSink, payload: dict[str, Any]) -> dict[str, Any]:
    """The body one mapped row is sent as."""
    body: dict[str, Any] = render(sink.body, fields_of(payload))
    return body
