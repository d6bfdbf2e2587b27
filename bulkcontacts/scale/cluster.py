"""The Dask side: a local cluster of worker processes (``--workers N``) or an existing scheduler
(``--cluster tcp://HOST:8786``); a probe that every worker sees the state directory, the spec and the source;
the shards submitted as tasks with retries (a lost worker's shard resumes elsewhere from its checkpoint)."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bulkcontacts.errors import Interrupted, UsageError
from bulkcontacts.scale.shard import ShardTask, run_shard
from bulkcontacts.state.layout import SHARDS_DIR
from bulkcontacts.ui.display import Display

TASK_RETRIES = 3
PROBE = ".probe"


@contextlib.contextmanager
def dask_client(workers: int | None, address: str | None, display: Display) -> Iterator[Any]:
    """A client of a new local cluster of ``workers`` processes, or of the scheduler at ``address``. Said
    first, with the notes held until the run gets going: the start takes seconds, a blank screen meanwhile."""
    from distributed import Client

    where = f"the Dask scheduler at {address}" if address else f"a local cluster of {workers} worker processes"
    display.note(f"starting: {where}")
    display.flush()

    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # its own chatter never floods the job's output
    if address is not None:
        _reachable(address)
        try:
            client = Client(address, timeout=8)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as error:
            raise Interrupted(
                f"cannot reach the Dask scheduler at {address} ({error}); start it, then run again"
            ) from None
        with client:
            yield client
        return
    with _local_cluster(workers) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def _local_cluster(workers: int | None) -> Any:
    """A local cluster whose worker processes ignore SIGINT. Ctrl-C at the terminal reaches the whole process
    group, but only the driver may act on it, by asking each shard to finish and save (``waiting``); a worker
    killed by it would print a traceback and lose its shard. The workers (restarted ones too) are forked by
    multiprocessing's fork server, itself started ignoring SIGINT: a child keeps that. Meanwhile a Ctrl-C while
    the cluster starts (a second or two) is remembered, not lost, and ends the run as interrupted once it is up
    (raised inside Dask's start it would leave the cluster half made)."""
    import multiprocessing.forkserver

    import dask
    from distributed import LocalCluster
    from distributed.utils import get_mp_context

    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})  # this process's clusters
    get_mp_context()  # type: ignore[no-untyped-call]  # names what the fork server imports first: Dask
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing.forkserver.ensure_running()
        signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        cluster.close()
        raise KeyboardInterrupt
    return cluster


def _reachable(address: str) -> None:
    """Fail at once where nothing listens at a ``tcp://HOST:PORT`` scheduler (a typo, a scheduler not started),
    instead of after Dask's connect timeout."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not host or not port.isdigit():
        return  # another scheme or form: Dask says what it thinks of it
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as error:
        raise Interrupted(
            f"cannot reach the Dask scheduler at {address} ({error.strerror or error}); start it, then run again"
        ) from None


def _probe_worker(root: str, driver_token: str, paths: list[str]) -> str:
    """On a worker: read the driver's probe, write one of its own; say what it cannot see."""
    base = Path(root) / SHARDS_DIR
    try:
        if (base / f"{PROBE}-driver").read_text() != driver_token:
            return "reads another state directory under that path (the driver's probe differs)"
        token = secrets.token_hex(8)
        (base / f"{PROBE}-{token}").write_text(token)
    except OSError as error:
        return f"cannot use the state directory ({error.strerror})"
    missing = [path for path in paths if not os.path.exists(path)]
    return f"cannot see {', '.join(missing)}" if missing else f"ok:{token}"


def probe_shared_storage(client: Any, root: Path, paths: list[Path]) -> int:
    """Check every worker reads and writes the state directory the driver does (and sees ``paths``): the
    shards' checkpoints must survive a worker's loss. Returns how many workers there are."""
    base = root / SHARDS_DIR
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_hex(8)
    (base / f"{PROBE}-driver").write_text(token)
    answers: dict[str, str] = client.run(_probe_worker, str(root.resolve()), token, [str(p.resolve()) for p in paths])
    if not answers:
        raise Interrupted("the Dask cluster has no workers; start some, then run again")
    problems = []
    for worker, answer in answers.items():
        if not answer.startswith("ok:"):
            problems.append(f"{worker} {answer}")
        elif (base / f"{PROBE}-{answer[3:]}").read_text() != answer[3:]:
            problems.append(f"{worker} writes where the driver cannot read")
    for probe in base.glob(f"{PROBE}-*"):
        probe.unlink(missing_ok=True)
    if problems:
        raise UsageError(
            f"the state directory {root} is not on storage every worker sees: {'; '.join(problems)}. Put it (and "
            "the spec and source) on shared storage mounted at the same path everywhere, and point --state-dir at it"
        )
    return len(answers)


def submit(client: Any, tasks: list[ShardTask]) -> list[Any]:
    """The shards as tasks, each retried on failure; a task whose worker died is rescheduled by Dask."""
    return [
        client.submit(run_shard, task, key=f"bulkcontacts-shard-{task.index:04d}-{secrets.token_hex(4)}",
                      retries=TASK_RETRIES, pure=False)
        for task in tasks
    ]  # fmt: skip
