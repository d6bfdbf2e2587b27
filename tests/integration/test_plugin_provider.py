"""A fifth provider from one module (plus one emulator module), through the CLI: export it, migrate it into
Rampwin, and verify the migration, with nothing in bulkcontacts or its emulator edited to add it."""

import json
import os
from pathlib import Path

from bulkcontacts.jobs import EXIT_OK
from tests.helpers import read_csv, run_cli

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
PLUGIN_ENV = {
    "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")]),
    "BULKCONTACTS_PROVIDERS": "acme_provider",
    "BULKCONTACTS_EMULATOR_PROVIDERS": "acme_emulated",
    "ACME_KEY": "acme-secret",
}


def acme_spec(folder: Path, sink: str) -> Path:
    spec = folder / "acme.toml"
    spec.write_text(
        f"""
[job]
name = "acme"

[source]
type = "acme"
api_key = "${{ACME_KEY}}"
segment = "retail"
page_size = 40

{sink}

[run]
rate = "500/s"
concurrency = 4
""",
        encoding="utf-8",
    )
    return spec


def test_a_plugin_provider_exports_through_the_cli(tmp_path):
    spec = acme_spec(tmp_path, '[sink]\ntype = "file"\npath = "people.csv"\nnormalize = true')
    done = run_cli("run", str(spec), "--emulate", env=PLUGIN_ENV)
    assert done.returncode == EXIT_OK, done.stderr + done.stdout
    rows = read_csv(tmp_path / "people.csv")
    assert len(rows) == 1_000 and len({row["provider_id"] for row in rows}) == 1_000  # the emulator's seed
    first = rows[0]
    assert first["provider"] == "acme" and first["provider_id"] == "acme-0"
    assert first["phone_number"].isdigit() and first["first_name"] and first["last_name"]
    assert first["full_name"] == f"{first['first_name']} {first['last_name']}"
    assert "Traceback" not in done.stderr


def test_a_plugin_provider_migrates_with_its_default_mapping_and_verifies(tmp_path):
    sink = '[sink]\ntype = "rampwin"\napi_key = "${RAMPWIN_API_KEY}"\ntoken = "${RAMPWIN_TOKEN}"\nintegration_id = "c1"'
    spec = acme_spec(tmp_path, sink)
    validated = run_cli("validate", str(spec), "--emulate", env=PLUGIN_ENV)
    assert validated.returncode == EXIT_OK and '"first_name": "given_name"' in validated.stdout
    done = run_cli("run", str(spec), "--emulate", env=PLUGIN_ENV)
    assert done.returncode == EXIT_OK, done.stderr + done.stdout
    summary = json.loads((tmp_path / ".bulkcontacts" / "acme" / "summary.json").read_text())
    assert summary["counts"]["created"] == 1_000 and summary["counts"]["rejected"] == 0
    checked = run_cli("verify", str(spec), "--emulate", env=PLUGIN_ENV)
    assert checked.returncode == EXIT_OK, checked.stdout + checked.stderr
    assert json.loads((tmp_path / ".bulkcontacts" / "acme" / "verify.json").read_text())["counts"]["created"] == 1_000


def test_an_unknown_provider_names_the_known_ones_plugins_included(tmp_path):
    spec = (
        acme_spec(tmp_path, '[sink]\ntype = "file"\npath = "people.csv"')
        .read_text()
        .replace('"acme"\napi', '"acne"\napi')
    )
    (tmp_path / "acne.toml").write_text(spec)
    refused = run_cli("run", str(tmp_path / "acne.toml"), "--emulate", env=PLUGIN_ENV)
    assert refused.returncode == 2
    assert "'acne'" in refused.stderr and "acme" in refused.stderr and "Traceback" not in refused.stderr
