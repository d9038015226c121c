"""A fault-injecting HTTP proxy in front of moto's S3 server, on loopback.

The pipeline talks to the proxy (`AWS_ENDPOINT_URL`) exactly as it would to S3; the proxy
forwards every request to moto, except those a rule picks, which it answers the way a failing
S3 would:

- `"500"`: `500 InternalError` (not forwarded);
- `"503"`: `503 SlowDown` (not forwarded);
- `"reset"`: the connection closed without an answer (not forwarded);
- `"stall"`: forwarded (so S3 applies it), then no answer for `stall_seconds`, then the
  connection closed: the client's read timeout fires although the write happened.

A rule matches a method and a regular expression on the path (`/bucket/key`); `skip` matching
requests pass first, then the next `times` ones fail (`times=None`: all of them).
`requests` counts every request by method; `injected` lists the faults made.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Rule:
    method: str
    path: re.Pattern
    fault: str
    skip: int = 0
    times: int | None = 1
    stall_seconds: float = 5.0
    seen: int = 0
    made: int = 0

    def claims(self, method: str, path: str) -> bool:
        if method != self.method or not self.path.search(path):
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.made >= self.times):
            return False
        self.made += 1
        return True


_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
}


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    injected: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        target = urlsplit(self.upstream)
        self._host, self._port = target.hostname, target.port
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self,
        method: str,
        path: str,
        fault: str,
        *,
        skip: int = 0,
        times: int | None = 1,
        stall_seconds: float = 5.0,
    ) -> Rule:
        rule = Rule(method, re.compile(path), fault, skip, times, stall_seconds)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _fault_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            self.requests[method] = self.requests.get(method, 0) + 1
            for rule in self.rules:
                if rule.claims(method, path):
                    self.injected.append((method, path, rule.fault))
                    return rule
        return None

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path
        length = int(handler.headers.get("Content-Length") or 0)
        if "chunked" in (handler.headers.get("Transfer-Encoding") or ""):
            body = _read_chunked(handler)
        else:
            body = handler.rfile.read(length) if length else b""
        rule = self._fault_for(method, path)
        if rule is not None and rule.fault in _ERRORS:
            status, code, message = _ERRORS[rule.fault]
            xml = (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>injected</RequestId></Error>"
            ).encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/xml")
            handler.send_header("Content-Length", str(len(xml)))
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(xml)
            return
        if rule is not None and rule.fault == "reset":
            _drop(handler)
            return
        status, reason, headers, data = self._forward(method, path, handler.headers, body)
        if rule is not None and rule.fault == "stall":
            time.sleep(rule.stall_seconds)
            _drop(handler)
            return
        handler.send_response(status, reason)
        for key, value in headers:
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                handler.send_header(key, value)
        length = dict((k.lower(), v) for k, v in headers).get("content-length")
        handler.send_header("Content-Length", length if method == "HEAD" else str(len(data)))
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(data)

    def _forward(self, method, path, headers, body):
        upstream = http.client.HTTPConnection(self._host, self._port, timeout=60)
        try:
            send = {k: v for k, v in headers.items() if k.lower() != "transfer-encoding"}
            if "chunked" in (headers.get("Transfer-Encoding") or ""):
                send["Content-Length"] = str(len(body))
            upstream.request(method, path, body=body or None, headers=send)
            reply = upstream.getresponse()
            data = reply.read()
            return reply.status, reply.reason, reply.getheaders(), data
        finally:
            upstream.close()


def _read_chunked(handler: BaseHTTPRequestHandler) -> bytes:
    body = bytearray()
    while True:
        size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(body)
        body += handler.rfile.read(size)
        handler.rfile.readline()


def _drop(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)
