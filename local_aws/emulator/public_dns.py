"""The public DNS as the emulator's hosted zones make it: a UDP DNS server on 127.0.0.1 (the
emulator's own port number) that answers NS queries the way the internet's resolvers would
for a domain whose zone is in Route 53.

Who delegates a domain: the parent zone, if any account of the emulator holds one (a zone
for `example.com` answers for `api.example.com` with the NS records it holds for it, or with
NXDOMAIN when it holds none: not delegated); with no parent zone anywhere, the emulator
plays the registrar and delegates each public zone to its own name servers. So a test
plants a missing or stale delegation with a parent zone, through Route 53's own API.
"""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
from moto.route53.models import DelegationSet, FakeZone, route53_backends

HOST = "127.0.0.1"
TTL = 60


def _zones() -> list[FakeZone]:
    zones = []
    for _, backends in route53_backends.items():
        for backend in backends.values():
            zones += [z for z in backend.zones.values() if not z.private_zone]
    return zones


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def name_servers(domain: str) -> list[str] | None:
    """The name servers the public DNS gives for `domain`, or None (not delegated)."""
    wanted = _fqdn(domain)
    zones = _zones()
    parents = [z for z in zones if wanted != _fqdn(z.name) and wanted.endswith("." + _fqdn(z.name))]
    if parents:
        parent = max(parents, key=lambda z: len(z.name))
        for record in parent.rrsets:
            if record.type == "NS" and _fqdn(record.name) == wanted:
                return [_fqdn(v) for v in record.records]
        return None
    own = [z for z in zones if _fqdn(z.name) == wanted]
    if not own:
        return None
    delegation = own[-1].delegation_set or DelegationSet("emulator", None, None)
    return [_fqdn(v) for v in delegation.name_servers]


def answer(query: bytes) -> bytes:
    request = dns.message.from_wire(query)
    response = dns.message.make_response(request)
    response.flags |= dns.flags.AA
    if not request.question:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = request.question[0]
    servers = name_servers(question.name.to_text())
    if servers is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif question.rdtype == dns.rdatatype.NS:
        response.answer.append(dns.rrset.from_text_list(question.name, TTL, "IN", "NS", servers))
    return response.to_wire()


def serve_in_thread(port: int) -> threading.Thread:
    """Answer DNS queries on UDP 127.0.0.1:`port` until the process exits."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, port))

    def loop() -> None:
        while True:
            data, peer = sock.recvfrom(4096)
            try:
                sock.sendto(answer(data), peer)
            except Exception as err:  # a malformed query gets no answer, as on the internet
                print(f"public DNS: {err!r}", flush=True)

    thread = threading.Thread(target=loop, name="public-dns", daemon=True)
    thread.start()
    return thread


__all__ = ["answer", "name_servers", "serve_in_thread"]
