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
from tests.services import redis_server


def test_no_secret_in_any_file_or_output(tmp_path, emulator):
    outputs = []
    source = write_csv(tmp_path / "in.csv", contact_rows(40))
    spec = write_spec(tmp_path / "import.toml", source, emulator.base_url("rampwin"))
    outputs.append(run_cli("run", str(spec), cwd=tmp_path))  # succeeds
    set_emulator(emulator, api_key="another-key-entirely")
    wrong = write_spec(tmp_path / "wrong.toml", source, emulator.base_url("rampwin"), name="refused")
    outputs.append(run_cli("run", str(wrong), cwd=tmp_path))  # 401: refused
    outputs.append(run_cli("validate", str(spec), cwd=tmp_path))
    rest_sink = tmp_path / "to-rest.toml"  # its key in the query; refused (401): the emulator wants another key
    rest_sink.write_text(
        f'[job]\nname = "to-rest"\n[source]\ntype = "file"\npath = "{source}"\n[sink]\ntype = "rest"\n'
        f'base_url = "{emulator.base_url("rest")}"\npath = "/v1/contacts"\nbody = {{ phone = "{{phone_e164}}" }}\n'
        'auth = { type = "api_key", name = "api_key", api_key = "${CRM_KEY}", location = "query" }\n',
        encoding="utf-8",
    )
    outputs.append(run_cli("run", str(rest_sink), cwd=tmp_path))
    assert outputs[-1].returncode == 4 and "check [sink] auth" in outputs[-1].stdout, outputs[-1].stdout
    for provider in ("tether", "kore", "smartflo", "rampwin", "rest"):
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


def test_a_sharded_run_with_a_password_protected_rate_store_writes_no_secret(tmp_path, emulator):
    """The API key and the rate store's password stay out of every file, output and Redis key or value."""
    password = "redis-pw-9d41c7"
    with redis_server(password=password) as store:
        source = write_csv(tmp_path / "in.csv", contact_rows(300))
        run = f'rate = "500/s"\nrate_store = "redis://:{password}@127.0.0.1:{store.port}/0"'
        spec = write_spec(tmp_path / "job.toml", source, emulator.base_url("rampwin"), run=run)
        done = run_cli("run", str(spec), "--workers", "2", cwd=tmp_path, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "redis://127.0.0.1:" in done.stderr  # the store is named, without its password
        client = store.client(password)
        stored = b" ".join(key + b" " + b" ".join(client.hgetall(key).values()) for key in client.keys("*"))
    for secret in (API_KEY, password):
        assert secret not in done.stdout + done.stderr and secret.encode() not in stored
        for path in (path for path in tmp_path.rglob("*") if path.is_file() and path.suffix != ".toml"):
            assert secret.encode() not in path.read_bytes(), f"{secret[:4]}… found in {path}"
