"""A real `prefect server` for tests, on a loopback port the OS hands out, and a polling helper."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def prefect_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of one test module's prefect commands and runs: its own PREFECT_HOME, no analytics, the repo
    importable, and no inherited API URL (the module starts its own server, or each run its temporary one)."""
    env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PYTHONPATH": str(REPO), **extra}
    env.pop("PREFECT_API_URL", None)
    return env


def wait_for(predicate, timeout: float = 60.0, every: float = 0.05) -> bool:
    """Poll `predicate` until it is true or `timeout` passes (for waiting on a marker file, not for timing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def start_prefect_server(tmp: Path, env: dict[str, str], attempts: int = 2) -> tuple[subprocess.Popen, str]:
    """A `prefect server` on a free loopback port, healthy; returns the process and its API URL.

    Why not the temporary server each flow run starts by itself: on this shared box several test sessions start
    them at once, from one port range, and a run that meets another session's server fails for nothing. The OS
    gives this one a port of its own; a server that still loses its port is started again on another.
    """
    log = tmp / "prefect-server.log"
    for _ in range(attempts):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        api = f"http://127.0.0.1:{port}/api"
        server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                   "--port", str(port), "--no-ui"], cwd=tmp, env=env,
                                  stdout=open(log, "a"), stderr=subprocess.STDOUT)

        def healthy() -> bool:
            if server.poll() is not None:
                return True  # exited: stop waiting
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        if wait_for(healthy, timeout=180, every=0.5) and server.poll() is None:
            return server, api
        stop_prefect_server(server)
    raise RuntimeError(f"prefect server did not start; see {log}:\n{log.read_text()[-3000:]}")


def stop_prefect_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(30)
