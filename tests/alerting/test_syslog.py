"""The syslog channel: RFC 5424 messages to real UDP, TCP and TLS listeners on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from sectool.alerting.config import SyslogOptions
from sectool.alerting.syslog5424 import UDP_MAX, SyslogSender, format_message, frame
from sectool.alerting.transport import ChannelError
from sectool.traffic.detect.findings import Finding

from .conftest import finding, sample_findings
from .receivers import (
    HOST,
    Pki,
    TcpSyslogReceiver,
    UdpSyslogReceiver,
    free_port,
    read_octet_counted,
    wait_for,
)

NOW = datetime(2026, 12, 7, 6, 0, 0, 123000, tzinfo=UTC)

# RFC 5424 section 6 (HEADER SP STRUCTURED-DATA [SP MSG]) with one SD-ELEMENT.
RFC5424 = re.compile(
    rb"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) "
    rb"(?P<msgid>[!-~]{1,32}) (?P<sd>\[(?:[^\]\\]|\\.)*\])(?: (?P<msg>.*))?$",
    re.S,
)
SD_PARAM = re.compile(r'(\w+)="((?:[^"\\\]]|\\.)*)"')


def _parse(raw: bytes) -> dict[str, object]:
    m = RFC5424.match(raw)
    assert m, raw
    sd = m.group("sd").decode()
    params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in SD_PARAM.findall(sd)}
    return {
        "pri": int(m.group("pri")),
        "ts": m.group("ts").decode(),
        "host": m.group("host").decode(),
        "app": m.group("app").decode(),
        "msgid": m.group("msgid").decode(),
        "sd_id": sd[1:].split(" ", 1)[0],
        "params": params,
        "msg": m.group("msg"),
    }


def _options(port: int, transport: str, **kw: object) -> SyslogOptions:
    return SyslogOptions.model_validate(
        {"host": HOST, "port": port, "transport": transport, "hostname": "sectool-test", **kw}
    )


def _send(
    options: SyslogOptions, findings: list[Finding], env: dict[str, str] | None = None
) -> list[Finding]:
    marked: list[Finding] = []
    SyslogSender(options, now=NOW, timeout=5, env=env or {}).deliver(findings, marked.extend)
    return marked


@pytest.mark.parametrize(
    ("severity", "facility", "pri"),
    [
        ("critical", "local0", 16 * 8 + 2),
        ("high", "local0", 16 * 8 + 3),
        ("medium", "auth", 4 * 8 + 4),
        ("low", "local7", 23 * 8 + 5),
    ],
)
def test_priority_from_facility_and_severity(severity: str, facility: str, pri: int) -> None:
    f = finding("beaconing", severity, "host", "185.1.2.3", (("destination.ip", "185.1.2.3"),))
    raw = format_message(f, _options(514, "udp", facility=facility), now=NOW, hostname="h", procid=7)
    assert _parse(raw)["pri"] == pri


def test_message_fields_and_structured_data_escaping() -> None:
    f = sample_findings()[4]  # a title with quotes, brackets and a backslash
    raw = format_message(f, _options(514, "tcp"), now=NOW, hostname="ignored", procid=42)
    got = _parse(raw)
    assert got["ts"] == "2026-12-07T06:00:00.123Z"
    assert got["host"] == "sectool-test"
    assert got["app"] == "sectool"
    assert got["msgid"] == "finding"
    assert got["sd_id"] == "sectool@32473"
    assert got["params"] == {
        "id": f.id,
        "detector": "c2",
        "severity": "critical",
        "score": "0.9500",
        "entity": f.entity.value,
        "entity_kind": "pair",
        "window_start": f.window_start.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "window_end": f.window_end.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "techniques": "T1071,T1571",
    }
    assert got["msg"] == ("\ufeff" + f.title).encode("utf-8")


def test_sd_value_with_bracket_and_quote_is_escaped() -> None:
    f = finding("x", "high", "domain", 'a"b]c\\d', ())
    raw = format_message(f, _options(514, "tcp"), now=NOW, hostname="h", procid=1)
    assert b'entity="a\\"b\\]c\\\\d"' in raw
    assert _parse(raw)["params"]["entity"] == 'a"b]c\\d'  # type: ignore[index]


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_control_characters_from_network_data_cannot_forge_a_second_message(transport: str) -> None:
    """A title or entity taken from network data (a DNS name, a Suricata signature, a notice
    message) with a line end must not start a line that a receiver reading line by line (or a
    log viewer) takes for a message of its own."""
    forged = "<10>1 2026-12-07T06:00:00Z host sectool 1 finding - all clear"
    f = finding(
        "x", "high", "domain", "evil.example\n" + forged, (), title="C2 to evil\r\n" + forged + "\x00"
    )
    raw = format_message(f, _options(514, transport), now=NOW, hostname="h", procid=1)
    assert not any(b < 0x20 or b == 0x7F for b in raw)
    got = _parse(raw)
    assert got["msg"] == ("\ufeffC2 to evil\\x0d\\x0a" + forged + "\\x00").encode("utf-8")
    assert got["params"]["entity"] == "evil.example\\x0a" + forged  # type: ignore[index]


def test_udp_message_is_cut_to_2048_octets_on_a_character_boundary() -> None:
    f = finding("x", "high", "host", "185.1.2.3", (), title="æ" * 3000)
    raw = format_message(f, _options(514, "udp"), now=NOW, hostname="h", procid=1, max_bytes=UDP_MAX)
    assert len(raw) <= UDP_MAX
    raw.decode("utf-8")  # still valid UTF-8
    assert _parse(raw)["params"]["id"] == f.id  # type: ignore[index]


def test_octet_counting_frame() -> None:
    assert frame(b"<13>1 - - - - - - hello") == b"23 <13>1 - - - - - - hello"
    frames, rest = read_octet_counted(frame(b"ab") + frame("æ".encode()) + b"5 abc")
    assert frames == [b"ab", "æ".encode()]
    assert rest == b"5 abc"


def test_udp_one_datagram_per_finding() -> None:
    server = UdpSyslogReceiver().start()
    try:
        findings = sample_findings()
        marked = _send(_options(server.port, "udp"), findings)
        assert [f.id for f in marked] == [f.id for f in findings]
        assert wait_for(lambda: len(server.messages) == len(findings))
        assert sorted(_parse(m)["params"]["id"] for m in server.messages) == sorted(f.id for f in findings)  # type: ignore[index]
    finally:
        server.stop()


def test_tcp_octet_counted_one_connection() -> None:
    server = TcpSyslogReceiver().start()
    try:
        findings = sample_findings()
        _send(_options(server.port, "tcp"), findings)
        assert wait_for(lambda: len(server.messages) == len(findings))
        assert [_parse(m)["params"]["id"] for m in server.messages] == [f.id for f in findings]  # type: ignore[index]
        assert server.connections == 1
        assert server.leftover == b""
    finally:
        server.stop()


def test_tls_with_private_ca(pki: Pki) -> None:
    server = TcpSyslogReceiver(tls=pki.server_context()).start()
    try:
        findings = sample_findings()
        _send(_options(server.port, "tls"), findings, env={"SECTOOL_SYSLOG_CA_CERT": str(pki.ca_cert)})
        assert wait_for(lambda: len(server.messages) == len(findings))
        assert _parse(server.messages[0])["params"]["severity"] == findings[0].severity  # type: ignore[index]
    finally:
        server.stop()


def test_tls_with_an_untrusted_certificate_fails_without_retry(pki: Pki) -> None:
    server = TcpSyslogReceiver(tls=pki.server_context()).start()
    try:
        with pytest.raises(ChannelError, match="TLS certificate not trusted") as info:
            _send(
                _options(server.port, "tls"),
                sample_findings(),
                env={"SECTOOL_SYSLOG_CA_CERT": str(pki.other_ca_cert)},
            )
        assert info.value.retryable is False
        assert server.messages == []
    finally:
        server.stop()


def test_tcp_refused_is_retryable_and_marks_nothing() -> None:
    marked: list[Finding] = []
    sender = SyslogSender(_options(free_port(), "tcp"), now=NOW, timeout=2, env={})
    with pytest.raises(ChannelError, match="Connection refused") as info:
        sender.deliver(sample_findings(), marked.extend)
    assert info.value.retryable is True
    assert marked == []


def test_default_ports() -> None:
    assert SyslogOptions(host="h", transport="tls").effective_port == 6514
    assert SyslogOptions(host="h", transport="udp").effective_port == 514
    assert SyslogOptions(host="h", transport="tcp", port=1514).effective_port == 1514
