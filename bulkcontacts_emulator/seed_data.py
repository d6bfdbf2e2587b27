"""What generated contacts are made of, whatever the provider."""

from __future__ import annotations

from datetime import datetime

FIRST = ["Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Zoë", "José", "Meera", "Kabir", "Søren", "अमित", "Diya"]
LAST = ["Sharma", "Patel", "Iyer", "Reddy", "Nair", "Müller", "García", "D'Souza", "Khan", "Das"]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
