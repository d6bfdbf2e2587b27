"""The provider registry: the five built in, each complete; plugins by module name; clear refusals."""

import pytest

from bulkcontacts.config.sources import ProviderSource
from bulkcontacts.errors import UsageError
from bulkcontacts.providers import registry
from bulkcontacts.providers.base import Provider


def test_the_five_providers_are_built_in_and_each_is_complete():
    known = registry.providers()
    assert list(known)[:5] == ["rampwin", "tether", "kore", "smartflo", "rest"]
    for name, provider in known.items():
        assert provider.name == name and issubclass(provider.source_model, ProviderSource)
        assert provider.source_model.model_fields["type"].annotation.__args__ == (name,)  # its [source] type
        if provider.source_model.has_shared_columns:  # a known API: a migration knows where the phone is
            assert "phone_number" in provider.default_mapping
        else:  # the user's own API: its fields are the user's to map (or found by their names)
            assert provider.default_mapping == {}


def test_an_unknown_provider_is_refused_with_the_known_ones_named():
    with pytest.raises(UsageError, match="'nope' is not a provider.*rampwin, tether, kore, smartflo, rest"):
        registry.provider("nope")


def test_a_plugin_module_registers_its_provider(monkeypatch, tmp_path):
    (tmp_path / "tiny_plugin.py").write_text(
        "from typing import Literal\n"
        "from bulkcontacts.config.sources import ProviderSource\n"
        "from bulkcontacts.providers.auth import StaticToken\n"
        "from bulkcontacts.providers.base import Provider\n"
        "from bulkcontacts.providers.rampwin import rampwin_list\n"
        "class TinySource(ProviderSource):\n"
        "    type: Literal['tiny']\n"
        "PROVIDER = Provider('tiny', 'Tiny', TinySource, rampwin_list, lambda s: StaticToken(s.token, 'no'), {})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(registry.PLUGINS_VARIABLE, "tiny_plugin")
    monkeypatch.setattr(registry, "_providers", {})
    assert isinstance(registry.provider("tiny"), Provider) and "rampwin" in registry.providers()


def test_a_plugin_that_is_not_a_provider_is_refused(monkeypatch, tmp_path):
    (tmp_path / "not_a_plugin.py").write_text("PROVIDER = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(registry.PLUGINS_VARIABLE, "not_a_plugin")
    monkeypatch.setattr(registry, "_providers", {})
    with pytest.raises(UsageError, match="has no PROVIDER"):
        registry.providers()
