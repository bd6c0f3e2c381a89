"""A temporary Prefect API server for one manual run, started before anything else so it boots meanwhile.

Why not Prefect's own temporary server: the flow call starts it only when the run begins, and only after the
calling process has imported `prefect.server` (FastAPI, SQLAlchemy: about 3 s here) just to spawn it; the run
then waits for the server's own start-up on top. Started here first thing, as the same uvicorn command Prefect
uses (`prefect.server.api.server.SubprocessASGIServer`, UI and background services off), the server boots while
talkwatch imports its pipeline, checks the configuration and starts the crawl. Nothing of this happens when
a Prefect API is configured (`PREFECT_API_URL` in the environment, a `.env`, `prefect.toml` or the active profile:
pipelines/cli/prefectconfig.py): the run uses that one.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

STARTUP_TIMEOUT_S = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180"))


@dataclass
class TemporaryAPI:
    """The server process and its API URL (already exported as PREFECT_API_URL for this process)."""

    proc: subprocess.Popen
    api_url: str

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Block until the API answers its health check; RuntimeError when it died or never answered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the temporary Prefect API server exited with code {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the temporary Prefect API server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server (it holds no state of its own: runs are in Prefect's database under PREFECT_HOME)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class APIUnreachable(RuntimeError):
    """The Prefect API that PREFECT_API_URL names does not answer: the run would fail inside Prefect."""


_NOT_PREFECT = "it answers, but not as a Prefect API (no version at /admin/version)"


def check_configured_api(timeout: float = 5.0) -> None:
    """When a Prefect API is configured (pipelines/cli/prefectconfig.py), that its URL is an http(s) URL (ValueError)
    and its server answers its health check (APIUnreachable), before a run starts anything.

    Why: an unreachable server was found only by Prefect, after the head-start crawl had started and the database
    file had been created: an internal error (70), a new file, a crawl folder and a crawl left running.
    """
    from pipelines.cli.prefectconfig import check_prefect_home, configured_api

    configured = configured_api()
    if configured is None:
        check_prefect_home()  # the temporary server keeps its database there
        return
    url, where = configured.url.strip(), configured.where
    named = f"PREFECT_API_URL={url!r}" if where == "PREFECT_API_URL" else f"{url!r} ({where})"
    unset = "unset PREFECT_API_URL" if where == "PREFECT_API_URL" else f"remove it ({where})"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{named} is not an http(s) URL of a Prefect API (such as http://127.0.0.1:4200/api); "
                         f"{unset} for a temporary server")
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as resp:
            healthy, reason = resp.status == 200, f"HTTP {resp.status}"
        if healthy:
            # any web server may answer /health; a Prefect API also names its version (a JSON string)
            with urllib.request.urlopen(f"{url.rstrip('/')}/admin/version", timeout=timeout) as resp:
                version = json.loads(resp.read(4096).decode("utf-8", "replace"))
            if isinstance(version, str) and version[:1].isdigit():
                return
            reason = _NOT_PREFECT
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code}" if "/health" in exc.url else f"{_NOT_PREFECT[:-1]}: HTTP {exc.code})"
    except json.JSONDecodeError:
        reason = _NOT_PREFECT
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", exc))
    raise APIUnreachable(f"cannot reach the Prefect API at {url} ({where}): {reason}; start that server, or "
                         f"{unset} for a temporary one")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_temporary_api() -> TemporaryAPI | None:
    """Start the server and point this process at it, unless a server is configured or Prefect is not installed.

    Must run before `prefect` is imported in this process: Prefect reads PREFECT_API_URL when it loads its
    settings. The server stops when this process exits (or earlier with `stop`).
    """
    from pipelines.cli.prefectconfig import configured_api

    if "prefect" in sys.modules or configured_api() is not None:
        return None
    spec = find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return None
    port = _free_port()
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(list(spec.submodule_search_locations)[0]).parent),
         "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "error", "--lifespan", "on"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = TemporaryAPI(proc, f"http://127.0.0.1:{port}/api")
    os.environ["PREFECT_API_URL"] = api.api_url
    # no UI is served and the server is gone after the run: Prefect's "View at http://127.0.0.1:<port>/runs/..."
    # line would lead nowhere (an empty UI URL makes Prefect print no link)
    os.environ.setdefault("PREFECT_UI_URL", "")
    # stopped at exit, after Prefect has sent its last logs and events to it: exit handlers run last-registered
    # first, and this one is registered before Prefect is imported
    atexit.register(api.stop)
    return api
