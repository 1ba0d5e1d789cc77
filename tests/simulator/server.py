"""The HTTP side: a threading server on loopback routing to the endpoint handlers.

Shopify's routes (GraphQL, the token grant, bulk files) come first; a path none of them
takes goes to the pages a caller added with ``Simulator.route`` (the sandbox's), then
404.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from .endpoint import Reply, handle_graphql, json_reply
from .oauth import handle_token
from .webhooks import is_loopback

if TYPE_CHECKING:
    from .simulator import Simulator

GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
BULK_PATH = re.compile(r"^/bulk/([0-9]+)\.jsonl$")
TOKEN_PATH = "/admin/oauth/access_token"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Request:
    """What an added page gets: the method, path, query string, headers (names in
    any case), raw body."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


Page = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # many clients at once (the default backlog is 5)

    def __init__(self, simulator: Simulator, host: str, port: int) -> None:
        if not is_loopback(f"http://{host}/"):
            raise ValueError(f"the simulator serves on loopback only, not {host!r}")
        super().__init__((host, port), _Handler)
        self.simulator = simulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm
        # and the client's delayed ACK cost 40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: tests read counters, not logs

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        sim = self.server.simulator
        path = urlsplit(self.path).path
        body = self._body()
        match = GRAPHQL_PATH.match(path)
        if match:
            reply = handle_graphql(
                sim.shop,
                sim.faults,
                sim.settings,
                version=match.group(1),
                token=self.headers.get("X-Shopify-Access-Token"),
                body=body,
                base_url=sim.base_url,
            )
        elif path == TOKEN_PATH:
            reply = handle_token(sim.shop, body, self.headers.get("Content-Type", ""))
        else:
            reply = self._page("POST", body)
        self._send(reply)

    def do_GET(self) -> None:
        match = BULK_PATH.match(urlsplit(self.path).path)
        if not match:
            self._send(self._page("GET", b""))
            return
        data = self.server.simulator.bulk_file(int(match.group(1)))
        if data is None:
            self._send(json_reply(404, {"errors": "Not Found"}))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for start in range(0, len(data), CHUNK):  # streamed, as a storage bucket would
            self.wfile.write(data[start : start + CHUNK])

    def _page(self, method: str, body: bytes) -> Reply:
        """The answer of the page added for this method and path, or 404."""
        parts = urlsplit(self.path)
        page = self.server.simulator.pages.get((method, parts.path))
        if page is None:
            return json_reply(404, {"errors": "Not Found"})
        headers = CaseInsensitiveDict(self.headers.items())
        return page(Request(method, parts.path, parts.query, headers, body))

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)  # real time: the client's timeout is real too
        if reply.body is None:  # lost reply: hang up without a byte
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True  # the client gave up (timeout): nobody listens


def serve(
    simulator: Simulator, host: str = "127.0.0.1", port: int = 0
) -> tuple[_Server, threading.Thread]:
    """Serve ``simulator`` on ``host:port`` (a loopback address; port 0: any free one)
    from a daemon thread."""
    server = _Server(simulator, host, port)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.01},
        name="shopify-simulator",
        daemon=True,
    )
    thread.start()
    return server, thread
