"""Real services for integration tests, each a subprocess on a free loopback port, stopped afterwards:
Debian's ``redis-server`` and ``nginx``, a Dask scheduler with worker processes, and the emulator in a
process of its own (where a strict window's count must not depend on the test process's interpreter)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


def _stop(process: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Redis:
    port: int
    restart: Callable[[float], None] = lambda down_for: None  # stop it, wait, start it again, empty

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, password: str | None = None):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=password)


@contextlib.contextmanager
def redis_server(password: str | None = None) -> Iterator[Redis]:
    """A redis-server on a free port, storing nothing on disk; ``restart(seconds)`` stops it for that long and
    starts it again on the same port with an empty store (a restart loses the budget)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run `bash tests/system-packages.sh`")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="redis-")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder]
    command += ["--requirepass", password] if password else []
    running = [subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)]

    def restart(down_for: float) -> None:
        _stop(running[0])
        time.sleep(down_for)
        running[0] = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        _wait_listening(port, running[0], "redis-server")

    try:
        _wait_listening(port, running[0], "redis-server")
        yield Redis(port, restart)
    finally:
        _stop(running[0])
        shutil.rmtree(folder, ignore_errors=True)


NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_buffer_size 16k;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
{server}
    }}
}}
"""


@contextlib.contextmanager
def nginx(server: str, cores: str | None = None) -> Iterator[tuple[str, Path]]:
    """Debian's nginx on a free loopback port with ``server`` as the body of its ``server`` block (``{folder}``
    in it names nginx's own folder); yields its URL and that folder. ``cores``: pinned there (taskset)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise RuntimeError("nginx is not installed: run `bash tests/system-packages.sh`")
    folder = Path(tempfile.mkdtemp(prefix="nginx-"))
    folder.chmod(0o755)  # run as root, nginx's workers are "nobody": they must see into it
    port = free_port()
    conf = NGINX_CONF.format(folder=folder, port=port, server=server.replace("{folder}", str(folder)))
    (folder / "nginx.conf").write_text(conf)
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
    if cores is not None:
        command = ["taskset", "-c", cores, *command]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_listening(port, process, "nginx")
        yield f"http://127.0.0.1:{port}", folder
    finally:
        _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def maintenance_gateway(upstream: str) -> str:
    """A gateway in front of ``upstream``: while the file ``{folder}/maintenance`` exists it answers every
    request ``503`` with ``Retry-After: 0`` and an HTML page, as a load balancer in maintenance mode does.
    Every request is logged to ``{folder}/access.log`` (nginx's combined format)."""
    return f"""
        access_log {{folder}}/access.log;
        location / {{
            if (-f {{folder}}/maintenance) {{ return 503; }}
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
        error_page 503 /maintenance.html;
        location = /maintenance.html {{
            internal;
            add_header Retry-After 0 always;
            default_type text/html;
            return 503 '<html><body><h1>Down for maintenance</h1><p>Back soon.</p></body></html>';
        }}"""


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Callable[[str], None]]:
    """A tmpfs of ``size`` mounted at ``path`` (a disk that fills up); yields a function that resizes it (the
    space freed). Mounting needs root: a user that is not root mounts through ``sudo -n``, and where that is
    refused the test fails saying so (it is never skipped)."""
    path.mkdir(parents=True, exist_ok=True)
    as_root = [] if os.geteuid() == 0 else ["sudo", "-n"]

    def mount(*options: str) -> None:
        done = subprocess.run([*as_root, "mount", *options], capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"mounting a small tmpfs needs root (or sudo -n): {done.stderr.strip()}"

    mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path))
    try:
        yield lambda new_size: mount("-o", f"remount,size={new_size}", str(path))
    finally:
        subprocess.run([*as_root, "umount", "-l", str(path)], check=False)


@contextlib.contextmanager
def dask_cluster(workers: int = 2, hidden: str | None = None) -> Iterator[str]:
    """A Dask scheduler and ``workers`` worker processes (one nanny each), as the command-line tools start
    them; yields the scheduler's address. ``hidden``: the workers run in a mount namespace of their own with
    an empty tmpfs over that folder, as a machine that does not share it would see it."""
    port = free_port()
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0", "--no-show"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    address = f"tcp://127.0.0.1:{port}"
    worker = None
    try:
        _wait_listening(port, scheduler, "dask scheduler")
        command = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", str(workers),
                   "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]  # fmt: skip
        if hidden is not None:
            shell = f"mount -t tmpfs none {shlex.quote(hidden)} && exec {shlex.join(command)}"
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", shell]
        worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_for_workers(address, workers)
        yield address
    finally:
        if worker is not None:
            _stop(worker)
        _stop(scheduler)


def _wait_for_workers(address: str, count: int, timeout: float = 60) -> None:
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=timeout)


@dataclass
class EmulatorProcess:
    """The emulator as a test sees it from outside: its URL, and its store read over HTTP."""

    url: str

    def base_url(self, provider: str) -> str:
        return f"{self.url}/{provider}"

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}/_emulator/{path}", timeout=30) as response:
            return json.load(response)

    def count(self, provider: str, scope: str | None = None) -> int:
        return int(self._get(f"count/{provider}" + (f"?scope={scope}" if scope else ""))["count"])

    def contacts(self, provider: str, scope: str | None = None) -> list[dict[str, Any]]:
        return list(self._get(f"contacts/{provider}" + (f"?scope={scope}" if scope else "")))

    def stats(self) -> dict[str, Any]:
        return dict(self._get("stats"))

    def configure(self, **settings: Any) -> None:
        """Change its settings while it runs (latency, faults, limits)."""
        request = urllib.request.Request(
            f"{self.url}/_emulator/settings",
            data=json.dumps(settings).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@contextlib.contextmanager
def emulator_process(*options: str, env: dict[str, str] | None = None) -> Iterator[EmulatorProcess]:
    """``python -m bulkcontacts_emulator`` on a free loopback port (it picks one and names it in its
    "listening on" line), in a session of its own, stopped afterwards (and when the test process dies: it
    stops when its standard input closes). Its event loop shares no interpreter with the test: a test that
    reads its store cannot stall it, so a strict window counts the requests as the client spaced them."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bulkcontacts_emulator", "--port", "0", "--exit-with-stdin", *options],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        url, seen = "", []
        for line in process.stdout:  # "seeded ..." lines may come first
            seen.append(line)
            if " listening on " in line:
                url = line.strip().rsplit(" ", 1)[-1]
                break
        if not url:
            raise RuntimeError(f"the emulator did not start (exit {process.wait()}): {''.join(seen)!r}")
        yield EmulatorProcess(url)
    finally:
        _stop(process)
        for pipe in (process.stdin, process.stdout):  # its last lines (a URL per provider) are left unread
            if pipe is not None:
                pipe.close()


def fork_server(driver: int) -> Any | None:
    """The fork server a ``--workers`` run started (its local cluster's workers are its children), once it runs."""
    import psutil

    try:
        children = psutil.Process(driver).children()
    except psutil.Error:
        return None
    for child in children:
        try:
            if "forkserver" in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    return None


def local_cluster_workers(driver: int) -> list[Any]:
    """The worker processes of the local cluster a ``--workers`` run started."""
    server = fork_server(driver)
    return [] if server is None else list(server.children())
