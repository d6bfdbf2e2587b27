"""Known secret values, jobs that succeed and jobs that fail: no secret in any file or line of output."""

from bulkcontacts_emulator.seed import seed
from tests.helpers import (
    API_KEY,
    EXPORT_ENV,
    contact_rows,
    run_cli,
    set_emulator,
    write_csv,
    write_export_spec,
    write_migrate_spec,
    write_spec,
)


def test_no_secret_in_any_file_or_output(tmp_path, emulator):
    outputs = []
    source = write_csv(tmp_path / "in.csv", contact_rows(40))
    spec = write_spec(tmp_path / "import.toml", source, emulator.base_url("rampwin"))
    outputs.append(run_cli("run", str(spec), cwd=tmp_path))  # succeeds
    set_emulator(emulator, api_key="another-key-entirely")
    wrong = write_spec(tmp_path / "wrong.toml", source, emulator.base_url("rampwin"), name="refused")
    outputs.append(run_cli("run", str(wrong), cwd=tmp_path))  # 401: refused
    outputs.append(run_cli("validate", str(spec), cwd=tmp_path))
    for provider in ("tether", "kore", "smartflo", "rampwin"):
        seed(emulator.state.store, provider, 60)
        job = write_export_spec(
            tmp_path / f"{provider}.toml",
            provider,
            emulator.base_url(provider),
            tmp_path / f"{provider}.csv",
            name=f"export-{provider}",
        )
        outputs.append(run_cli("run", str(job), cwd=tmp_path))
    migrate = write_migrate_spec(tmp_path / "migrate.toml", "smartflo", emulator, sink_extra='mode = "upsert"')
    outputs.append(run_cli("run", str(migrate), cwd=tmp_path))
    outputs.append(run_cli("verify", str(migrate), cwd=tmp_path))
    outputs.append(run_cli("run", str(migrate), "--retry-rejected", cwd=tmp_path))
    set_emulator(emulator, password="not-the-one-we-send")
    failing = write_export_spec(
        tmp_path / "badlogin.toml", "smartflo", emulator.base_url("smartflo"), tmp_path / "never.csv", name="bad-login"
    )
    outputs.append(run_cli("run", str(failing), cwd=tmp_path))  # login refused
    assert {result.returncode for result in outputs} >= {0, 4}
    secrets = [API_KEY, *EXPORT_ENV.values()]
    for result in outputs:
        for secret in secrets:
            assert secret not in result.stdout and secret not in result.stderr
    written = [path for path in tmp_path.rglob("*") if path.is_file() and path.suffix != ".toml"]
    assert any(path.name == "checkpoint.json" for path in written)
    assert any(path.name == "reconciliation.csv" for path in written)
    for path in written:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"{secret[:4]}… found in {path}"
