"""Text shown to a person: one line, a readable length, and a count of what was left out."""

from __future__ import annotations

SHOWN_CHARS = 120


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis and a count of what was left out."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… ({len(flat) - limit:,} more characters)"
