"""What a REST API's spec tables share, as a source (``providers/rest.py``) or a sink (``sinks.py``): dotted
paths into an answer, and ``auth`` as dlt's ``rest_api`` names it (secrets as ``${ENV}``)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr

from bulkcontacts.config.base import Strict
from bulkcontacts.config.sources import Given

DOTTED = re.compile(r"\$|(\$\.)?[^.\s]+(\.[^.\s]+)*")


def dotted_path(value: str) -> str:
    if not DOTTED.fullmatch(value):
        raise ValueError(
            'must be a dotted path to a value in the answer, e.g. "data.items" or "meta.total" ("$": the whole body)'
        )
    return value


DottedPath = Annotated[str, AfterValidator(dotted_path)]


class BearerAuth(Strict):
    type: Literal["bearer"]
    token: SecretStr


class ApiKeyAuth(Strict):
    type: Literal["api_key"]
    name: Given = "Authorization"
    api_key: SecretStr
    location: Literal["header", "query"] = "header"


class BasicAuth(Strict):
    type: Literal["http_basic"]
    username: Given
    password: SecretStr


# ``headers``: other request headers (an app id, an account id). Their values may be keys, so they are held
# as secrets: never shown, logged or written to the state.
Headers = dict[Annotated[str, Field(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")], SecretStr]

AuthSpec = Annotated[BearerAuth | ApiKeyAuth | BasicAuth, Field(discriminator="type")]
