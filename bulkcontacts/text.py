"""Text shown to a person: one line, a readable length, and a count of what was left out."""

from __future__ import annotations

import json
from typing import Any

SHOWN_CHARS = 120
FORMULA_STARTS = ("=", "@", "\t", "\r")
PLAIN_NUMBER = frozenset("0123456789 ()-.+")


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis and a count of what was left out."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… ({len(flat) - limit:,} more characters)"


def neutralize(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula; phone-like ``+91 98765 43210`` stays as it is.
    Reading the file again takes the "'" off (``NEUTRALISED``), as a spreadsheet shows such a cell."""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    if value.startswith(("+", "-")) and not set(value) <= PLAIN_NUMBER:
        return "'" + value
    return value


# A "'" before = + - @, a tab or a carriage return: what ``neutralize`` adds, taken off when a file is read
# (a value that itself began so, "'=x", reads as a spreadsheet shows it: "=x").
NEUTRALISED = r"^'([=+\-@\t\r])"


def csv_cell(value: Any, guard: bool) -> Any:
    """A value as a CSV cell: nothing for None, JSON for nested values, formulas neutralised when ``guard``."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str) and guard:
        return neutralize(value)
    return value
