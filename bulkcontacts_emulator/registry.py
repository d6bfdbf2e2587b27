"""Every provider the emulator serves, each mounted under ``/<name>/``.

The four built in are always there. More come from plugins, each a module exposing ``EMULATED`` (an
``Emulated``): installed packages declare theirs under the ``bulkcontacts_emulator.providers`` entry-point
group, and ``BULKCONTACTS_EMULATOR_PROVIDERS`` names more modules (comma-separated).
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any

from aiohttp import web

from bulkcontacts_emulator.state import EmulatorState

BUILT_IN = ("rampwin", "tether", "kore", "smartflo", "rest")
ENTRY_POINTS = "bulkcontacts_emulator.providers"
PLUGINS_VARIABLE = "BULKCONTACTS_EMULATOR_PROVIDERS"
Record = dict[str, Any]


@dataclass(frozen=True)
class Emulated:
    """One provider's endpoints, its 429 body, and how one of its generated contacts looks."""

    name: str
    routes: Callable[[EmulatorState], list[web.RouteDef]]
    too_many: Record
    # (index, random source, creation time, phone digits with country code) → a record in the provider's shape
    seed_record: Callable[[int, random.Random, datetime, str], Record]


_emulated: dict[str, Emulated] = {}


def emulated() -> dict[str, Emulated]:
    """Every emulated provider, the built-in ones first (their order fixes each one's block of phones)."""
    if not _emulated:
        modules = [f"bulkcontacts_emulator.{name}" for name in BUILT_IN]
        modules += [entry.value.partition(":")[0] for entry in entry_points(group=ENTRY_POINTS)]
        modules += [part.strip() for part in os.environ.get(PLUGINS_VARIABLE, "").split(",") if part.strip()]
        for module in modules:
            found = getattr(importlib.import_module(module), "EMULATED", None)
            if not isinstance(found, Emulated):
                raise ValueError(f"emulator plugin {module!r} has no EMULATED = Emulated(...)")
            _emulated[found.name] = found
    return _emulated
