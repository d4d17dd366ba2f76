from __future__ import annotations

import gzip
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic.readers import ReaderOptions, ReadReport, read_events
from sectool.traffic.readers.community_id import community_id

KEYS = (
    "@timestamp",
    "event.duration",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
    "network.transport",
    "source.bytes",
    "destination.bytes",
    "source.packets",
    "destination.packets",
    "sectool.connection.state",
    "network.community_id",
    "network.direction",
    "network.protocol",
)


def _write(path: Path, packets: list[Any], *, ng: bool = False, linktype: int | None = None) -> Path:
    from scapy.utils import wrpcap, wrpcapng

    if ng:
        wrpcapng(str(path), packets)
    elif linktype is not None:
        wrpcap(str(path), packets, linktype=linktype)
    else:
        wrpcap(str(path), packets)
    return path


def _flows(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [{k: e.get(k) for k in KEYS} for e in events if e["event.dataset"] == "sectool.flow"]
    return sorted(rows, key=lambda r: (r["@timestamp"], r["source.ip"]))


def _ip_len(pkt: Any) -> int:
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6

    return len(pkt[IP]) if IP in pkt else len(pkt[IPv6])


def test_flows_match_the_packets(tmp_path: Path, sample_flows: list[Any], sample_packets: list[Any]) -> None:
    events = list(read_events(_write(tmp_path / "s.pcap", sample_packets), site="dc"))
    flows = {(e["source.ip"], e["source.port"]): e for e in events if e["event.dataset"] == "sectool.flow"}
    assert len(flows) == len(sample_flows)
    for sf in sample_flows:
        got = flows[sf.orig]
        assert (got["destination.ip"], got["destination.port"]) == sf.resp
        assert got["network.transport"] == sf.transport
        assert got["sectool.connection.state"] == sf.state
        orig = [p for p, d in zip(sf.packets, sf.orig_dirs, strict=True) if d]
        resp = [p for p, d in zip(sf.packets, sf.orig_dirs, strict=True) if not d]
        assert got["source.packets"] == len(orig)
        assert got["destination.packets"] == len(resp)
        assert got["source.bytes"] == sum(_ip_len(p) for p in orig)
        assert got["destination.bytes"] == sum(_ip_len(p) for p in resp)
        assert got["network.bytes"] == got["source.bytes"] + got["destination.bytes"]
        first, last = sf.packets[0].time, sf.packets[-1].time
        assert got["event.duration"] == int((last - first) * 1_000_000_000)
        assert got["sectool.site"] == "dc"
        assert got["observer.name"] == "dc"


def test_directions_and_protocols(tmp_path: Path, sample_packets: list[Any]) -> None:
    events = list(read_events(_write(tmp_path / "s.pcap", sample_packets)))
    flows = {e["destination.port"]: e for e in events if e["event.dataset"] == "sectool.flow"}
    assert flows[443]["network.direction"] == "outbound"
    assert flows[443]["network.protocol"] == "tls"
    assert flows[22]["network.direction"] == "internal"
    assert flows[3389]["network.protocol"] == "rdp"
    assert flows[3389]["sectool.connection.state"] == "S0"
    custom = list(read_events(tmp_path / "s.pcap", options=ReaderOptions(internal=("10.0.0.0/30",))))
    tls = next(e for e in custom if e.get("destination.port") == 443 and e["event.dataset"] == "sectool.flow")
    assert tls["network.direction"] == "external"  # 10.0.0.5 is outside 10.0.0.0/30


def test_community_id_known_vectors() -> None:
    import socket

    a = socket.inet_aton
    # Vectors from the Community ID specification's reference implementation.
    assert (
        community_id(6, a("128.232.110.120"), a("66.35.250.204"), 34855, 80)
        == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    )
    assert (
        community_id(6, a("66.35.250.204"), a("128.232.110.120"), 80, 34855)
        == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    )
    assert community_id(17, a("192.168.1.52"), a("8.8.8.8"), 54585, 53) == "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
    assert community_id(1, a("192.168.0.89"), a("192.168.0.1"), 8, 0) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="
    assert community_id(1, a("192.168.0.1"), a("192.168.0.89"), 0, 0) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="
    assert community_id(6, a("128.232.110.120"), a("66.35.250.204"), 34855, 80, seed=1) != (
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
    )


def test_dns_event(tmp_path: Path, sample_packets: list[Any]) -> None:
    events = list(read_events(_write(tmp_path / "s.pcap", sample_packets)))
    dns = [e for e in events if e["event.dataset"] == "sectool.dns"]
    assert len(dns) == 1
    (e,) = dns
    assert e["dns.question.name"] == "a.b.example.co.uk"
    assert e["dns.question.registered_domain"] == "example.co.uk"
    assert e["dns.question.subdomain"] == "a.b"
    assert e["dns.question.top_level_domain"] == "co.uk"
    assert e["dns.question.type"] == "A"
    assert e["dns.response_code"] == "NOERROR"
    assert e["dns.answers.data"] == ["192.0.2.7"]
    assert e["dns.id"] == "4242"
    assert e["dns.type"] == "answer"
    assert (e["source.ip"], e["source.port"], e["destination.port"]) == ("10.0.0.5", 5555, 53)
    flow = next(f for f in events if f["event.dataset"] == "sectool.flow" and f["destination.port"] == 53)
    assert e["network.community_id"] == flow["network.community_id"]


def test_ssh_login_heuristic(tmp_path: Path, sample_packets: list[Any]) -> None:
    events = list(read_events(_write(tmp_path / "s.pcap", sample_packets)))
    auth = [e for e in events if e["event.category"] == "authentication"]
    # The failed SSH login yields one; the rejected IPv6 SSH attempt (REJ) and the RDP SYN do not.
    assert len(auth) == 1
    (a,) = auth
    assert a["event.outcome"] == "failure"
    assert (a["source.ip"], a["destination.ip"], a["network.protocol"]) == ("10.0.0.7", "10.0.0.9", "ssh")


def test_pcap_and_pcapng_give_the_same_events(tmp_path: Path, sample_packets: list[Any]) -> None:
    a = list(read_events(_write(tmp_path / "s.pcap", sample_packets)))
    b = list(read_events(_write(tmp_path / "s.pcapng", sample_packets, ng=True)))
    strip = [{k: v for k, v in e.items() if k != "log.file.path"} for e in a]
    assert strip == [{k: v for k, v in e.items() if k != "log.file.path"} for e in b]
    assert len(a) == 6 + 1 + 1  # flows, DNS transaction, authentication


def test_gzip_capture(tmp_path: Path, sample_packets: list[Any]) -> None:
    plain = _write(tmp_path / "s.pcap", sample_packets)
    gz = tmp_path / "s.pcap.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert _flows(list(read_events(gz))) == _flows(list(read_events(plain)))


def _ip_packets(sample_packets: list[Any]) -> list[Any]:
    out = []
    for p in sample_packets:
        q = p.payload.copy()
        q.time = p.time
        out.append(q)
    return out


@pytest.mark.parametrize("link", ["raw", "sll", "sll2", "vlan", "qinq"])
def test_link_layers(tmp_path: Path, sample_packets: list[Any], link: str) -> None:
    from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q, Ether

    base = _flows(list(read_events(_write(tmp_path / "base.pcap", sample_packets))))
    wrapped = []
    for p in sample_packets:
        ip = p.payload.copy()
        etype = 0x0800 if ip.version == 4 else 0x86DD
        if link == "raw":
            q, lt = ip, 101
        elif link == "sll":
            q, lt = CookedLinux(proto=etype) / ip, 113
        elif link == "sll2":
            q, lt = CookedLinuxV2(proto=etype) / ip, 276
        elif link == "vlan":
            q, lt = Ether(src=p.src, dst=p.dst) / Dot1Q(vlan=10) / ip, 1
        else:
            q, lt = Ether(src=p.src, dst=p.dst) / Dot1AD(vlan=100) / Dot1Q(vlan=10) / ip, 1
        q.time = p.time
        wrapped.append(q)
    got = _flows(list(read_events(_write(tmp_path / f"{link}.pcap", wrapped, linktype=lt))))
    assert got == base


def test_ipv6_extension_headers(tmp_path: Path) -> None:
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop
    from scapy.layers.l2 import Ether

    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IPv6(src="2001:db8::1", dst="2001:db8::2")
    p = p / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / TCP(sport=1234, dport=80, flags="S")
    p.time = Decimal("1772530000.000001")
    (event,) = list(read_events(_write(tmp_path / "x.pcap", [p])))
    assert (event["source.port"], event["destination.port"], event["network.transport"]) == (1234, 80, "tcp")
    assert event["network.type"] == "ipv6"
    assert event["network.direction"] == "external"


def test_truncated_pcap_keeps_valid_prefix(tmp_path: Path, sample_packets: list[Any]) -> None:
    full = _write(tmp_path / "full.pcap", sample_packets).read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(full[: len(full) - 30])  # into the last packet's data
    report = ReadReport()
    events: list[dict[str, Any]] = []
    # Short timeouts: the TLS, DNS, IPv6 and ICMP flows end before the damage; the SSH flow's
    # close linger (20 ms after its last FIN) is still running at its last packet.
    options = ReaderOptions(idle_timeout=0.3, tcp_close_linger=0.02)
    with pytest.raises(InputError) as exc:
        events.extend(read_events(cut, report=report, options=options))
    last_record = len(full) - (16 + len(sample_packets[-1]))
    assert f"byte {last_record}" in str(exc.value)
    assert "truncated pcap" in str(exc.value)
    assert str(exc.value).endswith("; 1 incomplete flows at the damage point were not indexed")
    assert report.packets == len(sample_packets) - 1
    assert report.incomplete == 1
    flows = [e for e in events if e["event.dataset"] == "sectool.flow"]
    assert sorted(f["destination.port"] for f in flows) == [0, 22, 53, 443]  # not the open SSH flow
    assert [e["event.dataset"] for e in events].count("sectool.dns") == 1
    assert not [e for e in events if e["event.category"] == "authentication"]


def test_truncated_pcap_cli_exit_code(
    tmp_path: Path, sample_packets: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    full = _write(tmp_path / "full.pcap", sample_packets).read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(full[:-5])
    out = tmp_path / "events.jsonl"
    code = main(["traffic", "ingest", str(cut), "--to", str(out), "--idle-timeout", "0.3"])
    captured = capsys.readouterr()
    assert code == 2
    assert "truncated pcap" in captured.err
    assert "cut.pcap" in captured.err
    # TLS, IPv6 REJ and SSH are still in their 5 s TCP close linger at the damage point.
    assert "3 incomplete flows at the damage point were not indexed" in captured.err
    assert out.exists()  # the valid prefix was written
    assert len(out.read_text().splitlines()) == 3  # the UDP DNS and ICMP flows + the DNS event


def test_implausible_caplen_is_corruption(tmp_path: Path, sample_packets: list[Any]) -> None:
    data = bytearray(_write(tmp_path / "s.pcap", sample_packets).read_bytes())
    struct.pack_into("<I", data, 24 + 8, 0x7FFFFFFF)  # caplen of the first record
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"corrupt pcap record at byte 24"):
        list(read_events(bad))


def _pcapng_insert_block(data: bytes, at: int, btype: int, body: bytes) -> bytes:
    total = 12 + len(body)
    block = struct.pack("<II", btype, total) + body + struct.pack("<I", total)
    return data[:at] + block + data[at:]


def _pcapng_block_offsets(data: bytes) -> list[tuple[int, int]]:
    out, off = [], 0
    while off + 8 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        out.append((off, btype))
        off += blen
    return out


def test_pcapng_unknown_block_is_skipped_with_warning(tmp_path: Path, sample_packets: list[Any]) -> None:
    data = _write(tmp_path / "s.pcapng", sample_packets, ng=True).read_bytes()
    blocks = _pcapng_block_offsets(data)
    third_packet = [o for o, t in blocks if t == 6][2]
    odd = tmp_path / "odd.pcapng"
    odd.write_bytes(_pcapng_insert_block(data, third_packet, 0x00000ABC, b"\x00" * 8))
    report = ReadReport()
    events = list(read_events(odd, report=report))
    assert report.packets == len(sample_packets)
    assert _flows(events) == _flows(list(read_events(tmp_path / "s.pcapng")))
    assert any(f"unknown type 0x00000abc at byte {third_packet}" in w for w in report.warnings)


def test_pcapng_unknown_block_cli_warns_and_succeeds(
    tmp_path: Path, sample_packets: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write(tmp_path / "s.pcapng", sample_packets, ng=True).read_bytes()
    odd = tmp_path / "odd.pcapng"
    odd.write_bytes(_pcapng_insert_block(data, len(data), 0x00000ABC, b"\x01\x02\x03\x04"))
    code = main(["traffic", "ingest", str(odd), "--to", str(tmp_path / "e.parquet")])
    captured = capsys.readouterr()
    assert code == 0
    assert "unknown type 0x00000abc" in captured.err
    assert "read 8" in captured.out


def test_pcapng_corrupt_block_length(tmp_path: Path, sample_packets: list[Any]) -> None:
    data = bytearray(_write(tmp_path / "s.pcapng", sample_packets, ng=True).read_bytes())
    blocks = _pcapng_block_offsets(bytes(data))
    fourth = [o for o, t in blocks if t == 6][3]
    blen = struct.unpack_from("<I", data, fourth + 4)[0]
    struct.pack_into("<I", data, fourth + blen - 4, blen + 4)  # trailing length disagrees
    bad = tmp_path / "bad.pcapng"
    bad.write_bytes(bytes(data))
    report = ReadReport()
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=rf"corrupt pcapng block at byte {fourth}: trailing length"):
        got.extend(read_events(bad, report=report))
    assert report.packets == 3
    assert got == []  # the three packets before the damage are the TLS handshake: still open
    assert report.incomplete == 1


def test_truncated_pcapng(tmp_path: Path, sample_packets: list[Any]) -> None:
    data = _write(tmp_path / "s.pcapng", sample_packets, ng=True).read_bytes()
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[:-7])
    with pytest.raises(InputError, match=r"truncated pcapng: the block at byte \d+ is cut off"):
        list(read_events(cut))


def test_not_a_capture(tmp_path: Path) -> None:
    bad = tmp_path / "x.pcap"
    bad.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\x00" * 3)
    with pytest.raises(InputError, match="not a readable pcap"):
        list(read_events(bad))


def _block(endian: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack(endian + "II", btype, total) + body + struct.pack(endian + "I", total)


def _shb(endian: str) -> bytes:
    return _block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def _idb(endian: str, linktype: int, tsresol: int | None) -> bytes:
    opts = b""
    if tsresol is not None:
        opts = (
            struct.pack(endian + "HH", 9, 1)
            + bytes([tsresol])
            + b"\x00" * 3
            + struct.pack(endian + "HH", 0, 0)
        )
    return _block(endian, 1, struct.pack(endian + "HHI", linktype, 0, 65535) + opts)


def _epb(endian: str, ts_units: int, frame: bytes) -> bytes:
    head = struct.pack(endian + "IIIII", 0, ts_units >> 32, ts_units & 0xFFFFFFFF, len(frame), len(frame))
    return _block(endian, 6, head + frame)


def test_pcapng_sections_endianness_resolution_and_simple_packets(tmp_path: Path) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    def frame(sport: int) -> bytes:
        return bytes(
            Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            / IP(src="10.0.0.1", dst="10.0.0.2")
            / UDP(sport=sport, dport=9)
        )

    t_ns = 1_772_530_000_123_456_789
    data = (
        _shb(">")
        + _idb(">", 1, 9)  # nanosecond timestamps, big-endian section
        + _epb(">", t_ns, frame(1000))
        + _block(">", 3, struct.pack(">I", len(frame(1000))) + frame(1000))  # simple packet block
        + _shb("<")  # a second section, little-endian, microseconds by default
        + _idb("<", 1, None)
        + _epb("<", t_ns // 1000 + 2_000_000, frame(2000))
    )
    path = tmp_path / "sections.pcapng"
    path.write_bytes(data)
    report = ReadReport()
    events = sorted(read_events(path, report=report), key=lambda e: e["source.port"])
    assert report.packets == 3
    first, second = events
    assert first["source.port"] == 1000
    assert first["source.packets"] == 2  # the EPB and the SPB (which reuses the last timestamp)
    assert first["@timestamp"].isoformat() == "2026-03-03T09:26:40.123456+00:00"
    assert second["source.port"] == 2000
    assert second["@timestamp"].isoformat() == "2026-03-03T09:26:42.123456+00:00"


def test_pcapng_packet_for_an_undeclared_interface(tmp_path: Path) -> None:
    bad = _shb("<") + _epb("<", 1, b"\x00" * 20)
    path = tmp_path / "noif.pcapng"
    path.write_bytes(bad)
    with pytest.raises(InputError, match=r"corrupt pcapng packet block at byte 28: unknown interface"):
        list(read_events(path))


@pytest.mark.parametrize("version", [4, 6])
def test_zero_ip_length_is_segmentation_offload(tmp_path: Path, version: int) -> None:
    # A sender's capture with TSO holds IP length 0: the NIC fills it in. Counted as captured
    # (mail_sender_attachment.pcapng of the corpus has such packets; tshark does the same).
    from scapy.layers.inet import IP, TCP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether

    ip = (
        IP(src="10.0.0.1", dst="10.0.0.2", len=0)
        if version == 4
        else IPv6(src="fd00::1", dst="fd00::2", plen=0)
    )
    p = (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / ip
        / TCP(sport=1, dport=2, flags="PA")
        / (b"\0" * 4000)
    )
    p.time = Decimal("1772530000")
    (event,) = list(read_events(_write(tmp_path / "tso.pcap", [p])))
    assert event["source.bytes"] == (20 if version == 4 else 40) + 20 + 4000


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("cut", r"damaged gzip stream after [0-9]+ decompressed bytes: Compressed file ended"),
        ("crc", r"damaged gzip stream after [0-9]+ decompressed bytes: CRC check failed"),
        # A flipped bit in the deflate data decompresses to garbage first: the record parser
        # or zlib, whichever notices first, reports it.
        ("data", r"damaged gzip stream|corrupt pcap record|truncated pcap"),
    ],
)
def test_damaged_gzip_capture_is_input_error_after_the_valid_prefix(
    tmp_path: Path, damage: str, message: str
) -> None:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    packets = []
    for i in range(3000):  # more than one chunk of decompressed data, one flow per packet
        p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2")
        p = p / UDP(sport=10000 + i, dport=9) / bytes(400)
        p.time = Decimal(1772530000 + i * 120)  # each flow ends (idle timeout) before the next
        packets.append(p)
    packed = bytearray(gzip.compress(_write(tmp_path / "s.pcap", packets).read_bytes(), mtime=0))
    if damage == "cut":
        packed = packed[: len(packed) * 3 // 4]
    elif damage == "crc":
        packed[-6] ^= 0x55
    else:
        packed[len(packed) * 3 // 4] ^= 0xFF
    path = tmp_path / "s.pcap.gz"
    path.write_bytes(bytes(packed))
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=message) as exc:
        got.extend(read_events(path))
    assert exc.value.location.file == str(path)
    assert len(got) > 100  # the flows before the damage were yielded
    assert [e["source.port"] for e in got] == list(range(10000, 10000 + len(got)))
