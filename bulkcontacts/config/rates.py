"""Rates as people write them (``"20/s"``, ``"600/min"``) and the ``"auto"`` rate's bounds."""

from __future__ import annotations

import re

RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
RATE_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
AUTO_RATE_CEILING = 10_000.0  # an "auto" rate's ceiling: the server's answers set the pace below it
AUTO_RATE_START = 50.0


def parse_rate(value: str | float | int) -> float:
    """``"20/s"``, ``"600/min"``, ``"3600/h"`` or a plain number (per second) → requests per second."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        per_second = float(value)
    else:
        match = RATE.match(str(value))
        if not match:
            raise ValueError(f'rate {value!r} is not like "20/s", "600/min" or "3600/h"')
        per_second = float(match.group(1)) / RATE_UNITS[match.group(2)]
    if per_second <= 0:
        raise ValueError("rate must be above zero")
    return per_second


def rate_window(value: object) -> float:
    """The window a rate was written in, in seconds (``"60/min"`` → 60): a limit is shown, and the achieved
    rate compared with it, over windows of that length. A plain number is per second."""
    match = RATE.match(str(value)) if isinstance(value, str) else None
    return float(RATE_UNITS[match.group(2)]) if match else 1.0
