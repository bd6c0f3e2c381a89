"""A loopback HTTP server for tests: a route table, per-path hit counts and a log of request headers.

    with LoopbackServer({"/feed": (200, {"Content-Type": "application/rss+xml"}, b"...")}) as srv:
        srv.url("/feed")        # http://127.0.0.1:<port>/feed
        srv.hits("/feed")       # how many times it was requested
        srv.requests("/feed")   # [{header-name-lower: value}, ...] in arrival order

A route value is `(status, headers, body)` or a callable `(RequestInfo) -> (status, headers, body)`; routes
can be added after start with `srv.route(path, value)`. Unknown paths answer 404 (and are counted too).
Paths are matched without the query string; `srv.hits` counts by path. `host="127.0.0.2"` gives a second,
distinct loopback host (Linux routes all of 127/8 to lo).

For faults below HTTP (a reset, a truncated body, a stall), a route or a route callable may give a `Raw`
instead: its `write(sock)` gets the connected socket, writes what it wants (or nothing), and the server then
drops the connection without adding a byte.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Union
from urllib.parse import urlsplit

Response = tuple[int, dict[str, str], bytes]


class _QuietServer(ThreadingHTTPServer):
    """Does not print a traceback when the client hangs up early (size caps and timeouts do that on purpose)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


@dataclass
class RequestInfo:
    """What a callable route gets: the method, the path (no query), the full target and the headers."""

    method: str
    path: str
    target: str
    headers: dict[str, str]


@dataclass
class Raw:
    """A route answer written straight to the socket (`write(sock)`); the connection is closed after it."""

    write: Callable[[socket.socket], None]


Route = Union[Response, Raw, Callable[[RequestInfo], Union[Response, Raw]]]


class LoopbackServer:
    """A threaded HTTP/1.1 server on `host`, port chosen by the OS; use as a context manager."""

    def __init__(self, routes: dict[str, Route] | None = None, host: str = "127.0.0.1"):
        self.host = host
        self._routes: dict[str, Route] = dict(routes or {})
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self._log: list[tuple[str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routes and records --------------------------------------------------------------------------

    def route(self, path: str, value: Route) -> None:
        """Add or replace a route, also while the server runs."""
        with self._lock:
            self._routes[path] = value

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits[path]

    def requests(self, path: str) -> list[dict[str, str]]:
        """Headers (names lower-case) of each request to `path`, oldest first."""
        with self._lock:
            return [dict(h) for p, h in self._log if p == path]

    def all_paths(self) -> list[str]:
        """Every path requested so far, in order."""
        with self._lock:
            return [p for p, _ in self._log]

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.netloc}{path}"

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                path = urlsplit(self.path).path or "/"
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server._hits[path] += 1
                    server._log.append((path, headers))
                    route = server._routes.get(path)
                info = RequestInfo(self.command, path, self.path, headers)
                if route is None:
                    answer: Response | Raw = (404, {"Content-Type": "text/plain"}, b"not found")
                elif callable(route):
                    answer = route(info)
                else:
                    answer = route
                if isinstance(answer, Raw):
                    self.close_connection = True
                    try:
                        answer.write(self.connection)
                    except OSError:
                        pass  # the client gave up first: fine for a test server
                    return
                status, out_headers, body = answer
                self.send_response(status)
                names = {k.lower() for k in out_headers}
                for name, value in out_headers.items():
                    self.send_header(name, value)
                if "content-length" not in names and status not in (204, 304):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD" and status not in (204, 304):
                    try:
                        self.wfile.write(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up (size cap, stop download): fine for a test server

            do_GET = _serve
            do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
                pass  # keep test output clean

        self._server = _QuietServer((self.host, 0), Handler)
        # stop() waits until serve_forever next looks at its shutdown flag: every 0.5 s by default, which made every
        # server's stop (and every `with LoopbackServer()`) take up to half a second
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"loopback-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
