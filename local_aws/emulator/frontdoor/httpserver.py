"""The front door's HTTP server (standard library, one thread per connection, 127.0.0.1)."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local_aws.emulator.frontdoor.messages import Request, Response, json_response
from local_aws.emulator.frontdoor.pipeline import FrontDoor

LOG = logging.getLogger("local_aws.emulator.frontdoor")
HOST = "127.0.0.1"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FrontDoorServer
    # An answer leaves in one write, flushed by http.server after each request, on a socket
    # without Nagle's algorithm: headers and body written apart would hold the body until
    # the client acknowledged the headers, which a keep-alive client delays by up to 40 ms.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return "local-frontdoor"

    def _serve(self) -> None:
        body = self._body()
        if body is None:
            response = json_response(413, '{"message":"Request Too Long"}')
            self.close_connection = True
        else:
            path, _, query = self.path.partition("?")
            request = Request(
                method=self.command,
                path=path,
                query=query,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                protocol=self.request_version,
            )
            response = self.server.front_door.handle(request)
        try:
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):  # the client went away first: nobody to answer
            self.close_connection = True

    def _body(self) -> bytes | None:
        """The request body; None when it is over the limit (it is then not read)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size += length
                if size > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return None if length > MAX_BODY else self.rfile.read(length)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, CONNECT, made-up ones) also goes through the pipeline, which
        answers it as API Gateway does (no such method: 403), not with http.server's 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug("front door: " + format, *args)


class FrontDoorServer(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: socketserver's default of 5 makes the kernel refuse or reset the
    # connections of a burst of clients (every new one beyond it while the accepting thread
    # is busy); API Gateway takes them all. The kernel caps it at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(self, port: int, front_door: FrontDoor) -> None:
        self.front_door = front_door
        super().__init__((HOST, port), _Handler)
