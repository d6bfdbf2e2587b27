"""Templates in a spec: TOML values whose strings name ``"{name}"`` placeholders (pure).

A string that is exactly one ``"{name}"`` takes the value with its type (a list stays a list) and is left
out, key and all, when the value is empty; a placeholder inside a longer string is replaced by the value's
text. A REST sink's ``body`` names a mapped row's fields; a REST source's ``params`` and ``json`` name
``{incremental.start_value}`` (only those two words are placeholders there: a query value may be JSON).
"""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
DROPPED = object()  # a template value whose one placeholder is empty: its key is left out


def strings(template: Any) -> list[str]:
    """Every string value of a template, nested tables and lists included."""
    if isinstance(template, dict):
        return [found for value in template.values() for found in strings(value)]
    if isinstance(template, list):
        return [found for value in template for found in strings(value)]
    return [template] if isinstance(template, str) else []


def placeholders(template: Any, pattern: re.Pattern[str] = PLACEHOLDER) -> set[str]:
    """The names a template's strings name as ``{name}`` (``pattern``: what a placeholder is)."""
    return {name for value in strings(template) for name in pattern.findall(value)}


def render(template: Any, fields: dict[str, Any], pattern: re.Pattern[str] = PLACEHOLDER) -> Any:
    """The template with its placeholders replaced (``DROPPED`` for a lone placeholder of an empty field)."""
    if isinstance(template, dict):
        rendered = {key: render(value, fields, pattern) for key, value in template.items()}
        return {key: value for key, value in rendered.items() if value is not DROPPED}
    if isinstance(template, list):
        return [value for value in (render(item, fields, pattern) for item in template) if value is not DROPPED]
    if not isinstance(template, str):
        return template
    whole = pattern.fullmatch(template)
    if whole is not None:
        value = fields.get(whole.group(1))
        return DROPPED if value is None or value in ("", []) else value
    return pattern.sub(lambda match: text(fields.get(match.group(1))), template)


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
