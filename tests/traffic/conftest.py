"""Fixtures shared by the traffic tests (each engineer adds theirs, additively)."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404  (tshark, with an argument list and a timeout)
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

# --------------------------------------------------------------------------- ingest: sample traffic


@dataclass
class SampleFlow:
    """One conversation of the sample capture, with what a flow reader must make of it."""

    packets: list[Any]
    orig: tuple[str, int]
    resp: tuple[str, int]
    transport: str
    state: str
    service: str | None
    orig_dirs: list[bool] = field(default_factory=list)  # per packet: sent by the originator?


T0 = Decimal("1772530000.000000")  # 2026-03-03 09:26:40 UTC


def _build_sample() -> list[SampleFlow]:
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    mac_a, mac_b = "02:00:00:00:00:01", "02:00:00:00:00:02"
    flows: list[SampleFlow] = []
    clock = [T0]

    def tcp_flow(
        c: str, cp: int, s: str, sp: int, steps: list[tuple[bool, str, int]], state: str, svc: str | None
    ) -> None:
        ip = IPv6 if ":" in c else IP
        pkts, dirs = [], []
        for from_orig, flags, payload in steps:
            layer = (
                (ip(src=c, dst=s) / TCP(sport=cp, dport=sp, flags=flags))
                if from_orig
                else (ip(src=s, dst=c) / TCP(sport=sp, dport=cp, flags=flags))
            )
            if payload:
                layer = layer / (b"x" * payload)
            pkt = Ether(src=mac_a, dst=mac_b) / layer
            clock[0] += Decimal("0.010000")
            pkt.time = clock[0]
            pkts.append(pkt)
            dirs.append(from_orig)
        flows.append(SampleFlow(pkts, (c, cp), (s, sp), "tcp", state, svc, dirs))

    handshake_close = [
        (True, "S", 0),
        (False, "SA", 0),
        (True, "A", 0),
        (True, "PA", 120),
        (False, "PA", 900),
        (True, "FA", 0),
        (False, "FA", 0),
        (True, "A", 0),
    ]
    tcp_flow("10.0.0.5", 40000, "93.184.216.34", 443, handshake_close, "SF", "tls")
    # DNS over UDP: query and answer
    q = DNS(id=4242, rd=1, qd=DNSQR(qname="a.b.example.co.uk", qtype="A"))
    r = DNS(
        id=4242,
        qr=1,
        qd=DNSQR(qname="a.b.example.co.uk", qtype="A"),
        an=DNSRR(rrname="a.b.example.co.uk", type="A", rdata="192.0.2.7"),
    )
    p1 = Ether(src=mac_a, dst=mac_b) / IP(src="10.0.0.5", dst="8.8.8.8") / UDP(sport=5555, dport=53) / q
    p2 = Ether(src=mac_b, dst=mac_a) / IP(src="8.8.8.8", dst="10.0.0.5") / UDP(sport=53, dport=5555) / r
    p1.time = T0 + Decimal("0.500000")
    p2.time = T0 + Decimal("0.512000")
    flows.append(SampleFlow([p1, p2], ("10.0.0.5", 5555), ("8.8.8.8", 53), "udp", "SF", "dns", [True, False]))
    clock[0] = T0 + Decimal("1.000000")
    tcp_flow("fd00::1", 50000, "fd00::2", 22, [(True, "S", 0), (False, "RA", 0)], "REJ", None)
    # ICMP echo request/reply
    e1 = Ether(src=mac_a, dst=mac_b) / IP(src="10.0.0.5", dst="10.0.0.1") / ICMP(type=8, id=1, seq=1)
    e2 = Ether(src=mac_b, dst=mac_a) / IP(src="10.0.0.1", dst="10.0.0.5") / ICMP(type=0, id=1, seq=1)
    e1.time = T0 + Decimal("2.000000")
    e2.time = T0 + Decimal("2.001000")
    flows.append(SampleFlow([e1, e2], ("10.0.0.5", 8), ("10.0.0.1", 0), "icmp", "SF", None, [True, False]))
    clock[0] = T0 + Decimal("3.000000")
    ssh_fail = [
        (True, "S", 0),
        (False, "SA", 0),
        (True, "A", 0),
        (True, "PA", 1500),
        (False, "PA", 1800),
        (True, "PA", 300),
        (False, "PA", 200),
        (False, "FA", 0),
        (True, "FA", 0),
        (False, "A", 0),
    ]
    tcp_flow("10.0.0.7", 41000, "10.0.0.9", 22, ssh_fail, "SF", "ssh")
    clock[0] = T0 + Decimal("4.000000")
    tcp_flow("10.0.0.5", 40001, "10.0.0.10", 3389, [(True, "S", 0)], "S0", None)
    return flows


@pytest.fixture(scope="session")
def sample_flows() -> list[SampleFlow]:
    """Six conversations (TLS, DNS, IPv6 rejected SSH, ICMP echo, failed SSH login, RDP SYN)."""
    return _build_sample()


@pytest.fixture(scope="session")
def sample_packets(sample_flows: list[SampleFlow]) -> list[Any]:
    """The packets of :func:`sample_flows` in time order."""
    pkts = [p for f in sample_flows for p in f.packets]
    return sorted(pkts, key=lambda p: p.time)


# --------------------------------------------------------------------------- captures: payloads


def _tcp_exchange(
    client: str, cport: int, server: str, sport: int, messages: list[tuple[bool, bytes]], t0: Decimal
) -> list[Any]:
    """Handshake, the messages (True: from the client) with consistent sequence numbers, close."""
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    seq = {True: 1000, False: 5000}
    out: list[Any] = []

    def send(from_client: bool, flags: str, payload: bytes = b"") -> None:
        src, dst, sp, dp = (client, server, cport, sport) if from_client else (server, client, sport, cport)
        layer = (IPv6 if ":" in src else IP)(src=src, dst=dst) / TCP(
            sport=sp, dport=dp, flags=flags, seq=seq[from_client], ack=seq[not from_client]
        )
        pkt = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / (
            layer / payload if payload else layer
        )
        pkt.time = t0 + Decimal(len(out)) / 1000
        out.append(pkt)
        seq[from_client] += len(payload) + (1 if "S" in flags or "F" in flags else 0)

    send(True, "S")
    send(False, "SA")
    send(True, "A")
    for from_client, payload in messages:
        send(from_client, "PA", payload)
    send(True, "FA")
    send(False, "FA")
    send(True, "A")
    return out


@pytest.fixture(scope="session")
def tcp_exchange() -> Any:
    """Builds a TCP conversation with payloads: ``tcp_exchange(client, cport, server, sport,
    [(from_client, payload), ...], t0)`` -> scapy packets (handshake, messages, close)."""
    return _tcp_exchange


@pytest.fixture(scope="session")
def tshark() -> Callable[..., list[list[str]]]:
    """Runs tshark (the independent oracle of the capture reader).

    ``tshark(path, fields, display_filter=None, options=(), aggregator=",")`` -> one list of field
    values per packet (``aggregator`` joins the values of a field that occurs more than once).
    Missing tshark is a failure: scripts/install-system-deps installs it.
    """
    exe = shutil.which("tshark")
    if exe is None:
        pytest.fail("tshark is missing: run scripts/install-system-deps (Debian package tshark)")

    def run(
        path: Path,
        fields: Sequence[str],
        display_filter: str | None = None,
        options: Sequence[str] = (),
        aggregator: str = ",",
    ) -> list[list[str]]:
        args = [
            exe,
            "-n",
            "-r",
            str(path),
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            f"aggregator={aggregator}",
        ]
        for name in fields:
            args += ["-e", name]
        if display_filter:
            args += ["-Y", display_filter]
        for option in options:
            args += ["-o", option]
        done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)  # nosec B603
        # split("\n"), not splitlines(): that also splits at \x1c-\x1e, which may be the aggregator
        return [line.split("\t") for line in done.stdout.split("\n") if line]

    return run


# --------------------------------------------------------------------------- ingest: Elasticsearch


@pytest.fixture
def es_prefix(es_url: str) -> Iterator[str]:
    """A unique index prefix; its indices and template are deleted afterwards."""
    from elasticsearch import Elasticsearch

    prefix = f"sectool-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = Elasticsearch(es_url)
    try:
        # Concrete names: a cluster with action.destructive_requires_name refuses wildcards.
        names = list(client.indices.get(index=f"{prefix}-*", allow_no_indices=True).body)
        if names:
            client.indices.delete(index=",".join(names))
        client.options(ignore_status=404).indices.delete_index_template(name=prefix)
    finally:
        client.close()


# ------------------------------------------------------------------------- detection: the ES client
@pytest.fixture(scope="module")
def es(es_url: str) -> Any:
    """A client of the real node, as ``sectool traffic detect --es`` connects."""
    from sectool.traffic.detect.backends.es_connect import connect

    return connect(es_url)
