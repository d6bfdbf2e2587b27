"""Every provider bulkcontacts knows, by its ``[source] type``.

The four built in are always there. More come from plugins, each a module exposing ``PROVIDER`` (a
``Provider``): installed packages declare theirs under the ``bulkcontacts.providers`` entry-point group, and
``BULKCONTACTS_PROVIDERS`` names more modules (comma-separated). Adding a provider never edits this package.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points
from typing import Any

from bulkcontacts.config.sources import ProviderSource
from bulkcontacts.errors import UsageError
from bulkcontacts.providers.base import Provider

BUILT_IN = ("rampwin", "tether", "kore", "smartflo", "rest")
ENTRY_POINTS = "bulkcontacts.providers"
PLUGINS_VARIABLE = "BULKCONTACTS_PROVIDERS"

_providers: dict[str, Provider[Any]] = {}


def register(provider: Provider[Any]) -> None:
    """Add a provider (a later one with the same name replaces the earlier)."""
    _providers[provider.name] = provider


def providers() -> dict[str, Provider[Any]]:
    """Every provider, the built-in ones first (in a stable order)."""
    if not _providers:
        _load()
    return _providers


def provider(name: str) -> Provider[Any]:
    known = providers()
    if name not in known:
        raise UsageError(f"[source] type: {name!r} is not a provider bulkcontacts knows ({', '.join(known)})")
    return known[name]


def provider_of(source: ProviderSource) -> Provider[Any]:
    return provider(source.type)


def _load() -> None:
    for name in BUILT_IN:
        register(_module_provider(f"bulkcontacts.providers.{name}"))
    for entry in entry_points(group=ENTRY_POINTS):
        loaded = entry.load()  # the module, or its Provider itself
        register(loaded if isinstance(loaded, Provider) else _module_provider(entry.value.partition(":")[0]))
    for module in filter(None, (part.strip() for part in os.environ.get(PLUGINS_VARIABLE, "").split(","))):
        register(_module_provider(module))


def _module_provider(module: str) -> Provider[Any]:
    try:
        found = getattr(importlib.import_module(module), "PROVIDER", None)
    except ImportError as error:
        raise UsageError(f"provider plugin {module!r} cannot be imported ({error}); check {PLUGINS_VARIABLE}") from None
    if not isinstance(found, Provider):
        raise UsageError(f"provider plugin {module!r} has no PROVIDER = Provider(...)")
    return found
