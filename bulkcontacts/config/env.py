"""``${ENV}`` interpolation: secrets come from the environment, never from the spec file."""

from __future__ import annotations

import os
import re
from typing import Any

from bulkcontacts.errors import UsageError

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_KEYS = frozenset({"api_key", "token", "password", "jwt", "client_secret"})


def interpolate(node: Any, where: tuple[str, ...], emulate: bool, missing: list[str]) -> Any:
    if isinstance(node, dict):
        return {key: interpolate(value, (*where, key), emulate, missing) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, where, emulate, missing) for value in node]
    if not isinstance(node, str):
        return node
    key = where[-1] if where else ""
    if key in SECRET_KEYS and not ENV_REFERENCE.fullmatch(node.strip()):
        raise UsageError(
            f'{key_name(where)}: secrets are read from the environment; write {key} = "${{NAME}}" '
            "and export NAME, instead of putting the value in the file"
        )

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        value = os.environ.get(name)
        if value is None or value == "":
            if not emulate:
                missing.append(name)
            return placeholder(key, name)
        return value

    return ENV_REFERENCE.sub(substitute, node)


def placeholder(key: str, name: str) -> str:
    """What an unset ``${NAME}`` stands for under ``--emulate``: shaped as the key's values are, so that the
    spec's checks pass (an email has an "@", a JWT three parts)."""
    if key == "email":
        return f"{name.lower()}@emulated.invalid"
    if key == "jwt":  # {"alg": "HS256", "typ": "JWT"}, no claims, a signature no one checks
        return f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.emulated-{name.lower()}"
    return f"emulated-{name.lower()}"


def key_name(where: tuple[str | int, ...] | list[str | int]) -> str:
    if not where:
        return "spec"
    table, *rest = where
    return f"[{table}] " + ".".join(str(part) for part in rest) if rest else f"[{table}]"
