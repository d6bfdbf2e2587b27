"""``python -m bulkcontacts_emulator`` (and ``bulkcontacts emulator``): serve the providers' endpoints on
loopback, with limits and faults. ``--seed PROVIDER:SCOPE:COUNT`` fills one scope when it is empty (what
``run --emulate`` asks for); ``--exit-with-stdin`` stops the server when its parent goes away."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

import click

from bulkcontacts.config.rates import parse_rate
from bulkcontacts.config.urls import is_loopback
from bulkcontacts.errors import UsageError
from bulkcontacts_emulator.app import start_emulator
from bulkcontacts_emulator.registry import emulated
from bulkcontacts_emulator.seed import DEFAULT_SCOPE, seed
from bulkcontacts_emulator.state import EmulatorSettings


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, help="0 picks a free port.")
@click.option("--db", default=":memory:", show_default=True, help="SQLite file for the store.")
@click.option("--rate-limit", default=None, help='Per-credential limit, e.g. "300/s" (strict 1 s window).')
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to every answer.")
@click.option("--latency-jitter", default=0.0, show_default=True, help="Up to this many seconds more, at random.")
@click.option("--api-key-env", default=None, help="Accept only the x-api-key held in this environment variable.")
@click.option("--token-env", default=None, help="Accept only the bearer token held in this environment variable.")
@click.option(
    "--seed-contacts",
    default=0,
    show_default=True,
    help=f'Fill every provider with this many generated contacts (scope "{DEFAULT_SCOPE}").',
)
@click.option(
    "--seed",
    "seeds",
    multiple=True,
    metavar="PROVIDER:SCOPE:COUNT",
    help="Fill this provider's scope with generated contacts when it is empty (e.g. tether:demo:1000).",
)
@click.option("--exit-with-stdin", is_flag=True, help="Stop when standard input closes (the parent went away).")
@click.option("--token-ttl", default=3600.0, show_default=True, help="Seconds a token from a login endpoint lives.")
@click.option(
    "--set",
    "extra",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any other setting, e.g. --set error_rate=0.05 --set drop_after_rate=0.01 --set faults_for=rampwin "
    "(JSON values; see GET /_emulator/settings for the names).",
)
def emulator(
    host: str,
    port: int,
    db: str,
    rate_limit: str | None,
    latency: float,
    latency_jitter: float,
    api_key_env: str | None,
    token_env: str | None,
    seed_contacts: int,
    seeds: tuple[str, ...],
    exit_with_stdin: bool,
    token_ttl: float,
    extra: tuple[str, ...],
) -> None:
    """Serve the providers' endpoints on loopback, faithfully, with limits and faults."""

    try:
        if not is_loopback(host):
            raise UsageError("--host: the emulator serves on loopback only")
        settings = EmulatorSettings(
            rate_limit=parse_rate(rate_limit) if rate_limit else None,
            latency=latency,
            latency_jitter=latency_jitter,
            api_key=_env(api_key_env),
            token=_env(token_env),
            token_ttl=token_ttl,
        )
        try:
            settings.update({name: _json_or_text(value) for name, _, value in (item.partition("=") for item in extra)})
        except ValueError as error:
            raise UsageError(f"--set: {error}") from None
        wanted = [_seed_request(item) for item in seeds]
        wanted += [(provider, DEFAULT_SCOPE, seed_contacts) for provider in emulated() if seed_contacts]
        asyncio.run(_serve(settings, db, host, port, wanted, exit_with_stdin))
    except UsageError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


def _seed_request(item: str) -> tuple[str, str, int]:
    provider, _, rest = item.partition(":")
    scope, _, count = rest.rpartition(":")
    if provider not in emulated() or not scope or not count.isdigit():
        raise UsageError(f"--seed {item!r}: write PROVIDER:SCOPE:COUNT, PROVIDER one of {', '.join(emulated())}")
    return provider, scope, int(count)


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _env(name: str | None) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"environment variable {name} is not set")
    return value


async def _serve(
    settings: EmulatorSettings, db: str, host: str, port: int, seeds: list[tuple[str, str, int]], exit_with_stdin: bool
) -> None:
    try:
        running = await start_emulator(settings, db=db, host=host, port=port)
    except OSError as error:
        raise UsageError(
            f"--host {host} --port {port}: cannot listen there ({error.strerror}); "
            "pick another --port (0 picks a free one)"
        ) from None
    for provider, scope, count in seeds:
        if running.state.store.count(provider, scope) == 0:
            await asyncio.to_thread(seed, running.state.store, provider, count, scope)
            print(f"seeded {count:,} {provider} contacts (scope {scope})", flush=True)
    print(f"bulkcontacts emulator listening on {running.url}", flush=True)
    for name in emulated():
        print(f"  {name}: {running.base_url(name)}", flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    if exit_with_stdin:

        def on_input() -> None:
            if not os.read(sys.stdin.fileno(), 4096):
                stopped.set()

        loop.add_reader(sys.stdin.fileno(), on_input)
    await stopped.wait()
    await running.stop()


def main() -> None:
    emulator(prog_name="bulkcontacts emulator")


if __name__ == "__main__":
    main()
