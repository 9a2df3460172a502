"""The HTTP request and response the front door handles, independent of the server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as received, e.g. /restapis/<id>/<stage>/payments
    query: str  # the raw query string, without "?"
    headers: list[tuple[str, str]]  # as received: original case, in order, repeated names kept
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    def header(self, name: str) -> str | None:
        """The last value of a header (names are case-insensitive), as API Gateway passes it."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[-1] if values else None

    @property
    def lower_headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers}

    @property
    def query_values(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            values.setdefault(key, []).append(value)
        return values


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in reversed(self.headers) if k.lower() == name.lower()), None)


def json_response(status: int, body: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, [("Content-Type", "application/json"), *(headers or {}).items()], body.encode())
