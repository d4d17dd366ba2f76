"""Every EVE event type mapped to ECS (the Elastic Suricata integration's mapping), record by
record. The lines are modelled on Suricata 7 output (field names and shapes from its
etc/schema.json and eve-json-format docs); each row names the fields the event must carry and,
with ``None``, fields it must not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic import ecs
from sectool.traffic.localstore import document_id
from sectool.traffic.readers import ReadReport, read_events

TS = "2026-03-03T09:26:40.123456+0100"
TUPLE = {
    "src_ip": "10.1.2.3",
    "src_port": 50000,
    "dest_ip": "198.51.100.9",
    "dest_port": 443,
    "proto": "TCP",
    "host": "sensor-1",
}


def _rec(event_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "timestamp": TS,
        "flow_id": 2214442221,
        "in_iface": "eth0",
        "event_type": event_type,
        **TUPLE,
        **extra,
    }


def _read(
    tmp_path: Path, *records: dict[str, Any] | str, report: ReadReport | None = None
) -> list[dict[str, Any]]:
    eve = tmp_path / "eve.json"
    eve.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return list(read_events(eve, report=report))


HTTP = _rec(
    "http",
    dest_port=80,
    tx_id=3,
    app_proto="http",
    http={
        "hostname": "www.example.dk",
        "http_port": 8080,
        "url": "/login.php?user=a&x=1#frag",
        "http_user_agent": "curl/8.5.0",
        "http_content_type": "text/html",
        "http_refer": "https://ref.example/",
        "http_method": "POST",
        "protocol": "HTTP/1.1",
        "status": 200,
        "length": 5120,
        "request_headers": [{"name": "Host", "value": "www.example.dk"}],
    },
)
HTTP_404 = _rec("http", http={"hostname": "h.example", "url": "http://h.example:81/a/b?q=1", "status": 404})
TLS = _rec(
    "tls",
    app_proto="tls",
    tls={
        "subject": "CN=portal.example.dk, O=Region, C=DK",
        "issuerdn": "C=US, O=Let's Encrypt, CN=R3",
        "serial": "04:3A:9F",
        "fingerprint": "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd",
        "sni": "portal.example.dk.",
        "version": "TLS 1.3",
        "notbefore": "2026-01-01T00:00:00",
        "notafter": "2026-04-01T23:59:59",
        "session_resumed": True,
        "ja3": {"hash": "e7d705a3286e19ea42f587b344ee6865", "string": "771,4865-4866,0-11-10,29-23,0"},
        "ja3s": {"hash": "f4febc55ea12b31ae17cfb7e614afda8", "string": "771,4865,43-51"},
        "ja4": "t13d1516h2_8daaf6152771_02713d6af862",
        "server_alpns": ["h2", "http/1.1"],
    },
)
TLS_SSL3 = _rec(
    "tls",
    tls={"version": "SSLv3", "ja4": {"hash": "t12d_x_y"}, "client": {"subject": "CN=c", "issuerdn": "CN=ca"}},
)
TLS_UNDETERMINED = _rec("tls", tls={"version": "UNDETERMINED"})
FILEINFO = _rec(
    "fileinfo",
    app_proto="http",
    http={"hostname": "dl.example", "url": "/files/setup.exe", "status": 200},
    fileinfo={
        "filename": "/files/setup.exe",
        "magic": "PE32 executable (GUI) Intel 80386, for MS Windows",
        "gaps": False,
        "state": "CLOSED",
        "md5": "d41d8cd98f00b204e9800998ecf8427e",
        "sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "stored": False,
        "size": 73802,
        "tx_id": 0,
        "file_id": 7,
        "sid": [2027397],
    },
)
SMB_FILE = _rec("fileinfo", app_proto="smb", fileinfo={"filename": "share\\docs\\pay.xlsm", "size": 10})
ALERT = _rec(
    "alert",
    dest_port=80,
    tx_id=0,
    app_proto="http",
    alert={
        "action": "blocked",
        "gid": 1,
        "signature_id": 2013028,
        "rev": 7,
        "signature": "ET POLICY curl User-Agent Outbound",
        "category": "Attempted Information Leak",
        "severity": 2,
        "metadata": {
            "created_at": ["2011_06_14"],
            "signature_severity": ["Informational"],
            "tag": ["a", "b"],
        },
    },
    http={"hostname": "203.0.113.80", "url": "/install.sh", "http_user_agent": "curl/7.88.1"},
    flow={"pkts_toserver": 4, "pkts_toclient": 3, "bytes_toserver": 412, "bytes_toclient": 1830, "start": TS},
    metadata={"flowbits": ["http.dottedquadhost"]},
)
ANOMALY = _rec("anomaly", anomaly={"type": "decode", "event": "IPV4_TRUNC_PKT", "layer": "proto_detect"})
SSH = _rec(
    "ssh",
    dest_port=22,
    app_proto="ssh",
    ssh={
        "client": {
            "proto_version": "2.0",
            "software_version": "libssh2_1.11.0",
            "hassh": {"hash": "ec7378c1"},
        },
        "server": {"proto_version": "2.0", "software_version": "OpenSSH_9.2p1"},
    },
)
KRB_FAIL = _rec(
    "krb5",
    proto="UDP",
    src_ip="10.0.0.10",
    src_port=88,
    dest_ip="10.0.5.77",
    dest_port=49722,
    krb5={
        "msg_type": "KRB_ERROR",
        "failed_request": "KRB_AS_REQ",
        "error_code": "KRB5KDC_ERR_PREAUTH_FAILED",
        "cname": "jens.hansen",
        "realm": "REGION.LOCAL",
        "sname": "krbtgt/REGION.LOCAL",
        "encryption": "<none>",
        "weak_encryption": False,
    },
)
KRB_PREAUTH = _rec(
    "krb5",
    dest_port=88,
    krb5={
        "msg_type": "KRB_ERROR",
        "failed_request": "KRB_AS_REQ",
        "error_code": "KDC_ERR_PREAUTH_REQUIRED",
        "cname": "jens.hansen",
        "realm": "REGION.LOCAL",
    },
)
KRB_OK = _rec(
    "krb5",
    dest_port=88,
    krb5={
        "msg_type": "KRB_TGS_REP",
        "cname": "svc-backup@REGION.LOCAL",
        "realm": "<empty>",
        "sname": "cifs/fs1",
    },
)
KRB_REQ = _rec("krb5", dest_port=88, krb5={"msg_type": "KRB_AS_REQ", "cname": "<empty>", "realm": "<empty>"})
SMB = _rec(
    "smb",
    dest_port=445,
    app_proto="smb",
    smb={
        "id": 2,
        "dialect": "2.10",
        "command": "SMB2_COMMAND_SESSION_SETUP",
        "status": "STATUS_LOGON_FAILURE",
        "ntlmssp": {"domain": "REGION", "user": "administrator", "host": "WS-17"},
    },
)
STATS = {
    "timestamp": TS,
    "event_type": "stats",
    "host": "sensor-1",
    "stats": {
        "uptime": 3600,
        "capture": {"kernel_packets": 1_000_000, "kernel_drops": 12_345, "errors": 0},
        "decoder": {"pkts": 987_655, "bytes": 712_000_000, "event": {"ipv4": {"trunc_pkt": 3}}},
        "detect": {"alert": 17, "engines": [{"id": 0, "rules_loaded": 40000, "rules_failed": 2}]},
    },
}
DROP = _rec("drop", drop={"len": 60, "tos": 0, "ttl": 64, "syn": True, "reason": "rules"})
NETFLOW = _rec(
    "netflow",
    app_proto="tls",
    netflow={"pkts": 12, "bytes": 4096, "start": TS, "end": "2026-03-03T09:26:42.123456+0100", "age": 2},
)
DHCP = _rec(
    "dhcp",
    proto="UDP",
    src_port=68,
    dest_port=67,
    dhcp={
        "type": "request",
        "id": 1,
        "client_mac": "00:11:22:33:44:55",
        "hostname": "ws17",
        "params": ["subnet_mask"],
    },
    ether={"src_mac": "00:11:22:33:44:55", "dest_mac": "ff:ff:ff:ff:ff:ff"},
    vlan=[100, 200],
)
ENGINE = {
    "timestamp": TS,
    "event_type": "engine",
    "log_level": "Warning",
    "engine": {"message": "rule reload complete", "module": "detect"},
}
QUIC = _rec("quic", proto="UDP", quic={"version": "1", "sni": "x.example", "ua": "Chrome"})
UNKNOWN = _rec("carrier_pigeon", carrier_pigeon={"feathers": 7, "nested": {"ok": True}})

_T = datetime.fromisoformat("2026-03-03T08:26:40.123456+00:00")

CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "http",
        HTTP,
        {
            "event.kind": "event",
            "event.category": "web",
            "event.type": "access",
            "event.outcome": "success",
            "network.protocol": "http",
            "destination.domain": "www.example.dk",
            "url.domain": "www.example.dk",
            "url.original": "/login.php?user=a&x=1#frag",
            "url.path": "/login.php",
            "url.query": "user=a&x=1",
            "url.port": 8080,
            "user_agent.original": "curl/8.5.0",
            "http.request.method": "POST",
            "http.request.referrer": "https://ref.example/",
            "http.response.status_code": 200,
            "http.response.body.bytes": 5120,
            "http.version": "1.1",
            "related.hosts": ["www.example.dk"],
            "suricata.eve.http.http_content_type": "text/html",
            "suricata.eve.http.request_headers": ['{"name":"Host","value":"www.example.dk"}'],
            "suricata.eve.tx_id": 3,
            "suricata.eve.in_iface": "eth0",
            "suricata.eve.http.url": None,  # moved to ECS, not repeated
            "suricata.eve.http.status": None,
        },
    ),
    (
        "http 404, absolute URL",
        HTTP_404,
        {
            "event.outcome": "failure",
            "url.path": "/a/b",
            "url.query": "q=1",
            "http.response.status_code": 404,
            "network.protocol": "http",  # no app_proto: the type's protocol
        },
    ),
    (
        "tls",
        TLS,
        {
            "event.category": "network",
            "event.type": "protocol",
            "network.protocol": "tls",
            "tls.version": "1.3",
            "tls.version_protocol": "tls",
            "tls.client.server_name": "portal.example.dk",
            "destination.domain": "portal.example.dk",
            "tls.server.subject": "CN=portal.example.dk, O=Region, C=DK",
            "tls.server.issuer": "C=US, O=Let's Encrypt, CN=R3",
            "tls.server.hash.sha1": "AABBCCDDEEFF00112233445566778899AABBCCDD",
            "tls.server.not_before": datetime(2026, 1, 1, tzinfo=UTC),
            "tls.server.not_after": datetime(2026, 4, 1, 23, 59, 59, tzinfo=UTC),
            "tls.resumed": "true",
            "tls.client.ja3": "e7d705a3286e19ea42f587b344ee6865",
            "tls.server.ja3s": "f4febc55ea12b31ae17cfb7e614afda8",
            "tls.client.ja4": "t13d1516h2_8daaf6152771_02713d6af862",
            "tls.next_protocol": "h2",
            "related.hash": [
                "AABBCCDDEEFF00112233445566778899AABBCCDD",
                "e7d705a3286e19ea42f587b344ee6865",
                "f4febc55ea12b31ae17cfb7e614afda8",
            ],
            "related.hosts": ["portal.example.dk"],
            "suricata.eve.tls.serial": "04:3A:9F",
            "suricata.eve.tls.ja3.string": "771,4865-4866,0-11-10,29-23,0",
            "suricata.eve.tls.server_alpns": ["h2", "http/1.1"],
            "suricata.eve.tls.sni": None,
        },
    ),
    (
        "tls SSLv3, ja4 object, client certificate",
        TLS_SSL3,
        {
            "tls.version": "3",
            "tls.version_protocol": "ssl",
            "tls.client.ja4": "t12d_x_y",
            "tls.client.subject": "CN=c",
            "tls.client.issuer": "CN=ca",
        },
    ),
    ("tls undetermined", TLS_UNDETERMINED, {"tls.version": None, "tls.version_protocol": None}),
    (
        "fileinfo",
        FILEINFO,
        {
            "event.category": "file",
            "event.type": "info",
            "file.path": "/files/setup.exe",
            "file.name": "setup.exe",
            "file.size": 73802,
            "file.hash.md5": "d41d8cd98f00b204e9800998ecf8427e",
            "file.hash.sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "file.hash.sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "url.original": "/files/setup.exe",
            "http.response.status_code": 200,
            "event.outcome": None,  # only http records carry the outcome (as Filebeat)
            "suricata.eve.fileinfo.magic": "PE32 executable (GUI) Intel 80386, for MS Windows",
            "suricata.eve.fileinfo.sid": [2027397],
            "suricata.eve.fileinfo.gaps": False,
        },
    ),
    (
        "fileinfo smb path",
        SMB_FILE,
        {"file.path": "share\\docs\\pay.xlsm", "file.name": "pay.xlsm", "network.protocol": "smb"},
    ),
    (
        "alert",
        ALERT,
        {
            "event.kind": "alert",
            "event.category": "intrusion_detection",
            "event.type": "denied",
            "rule.id": "2013028",
            "rule.name": "ET POLICY curl User-Agent Outbound",
            "rule.category": "Attempted Information Leak",
            "rule.version": "7",
            "message": "Attempted Information Leak",
            "event.severity": 2,
            "event.start": _T,
            "source.bytes": 412,
            "destination.packets": 3,
            "url.original": "/install.sh",
            "user_agent.original": "curl/7.88.1",
            "suricata.eve.alert.gid": 1,
            "suricata.eve.alert.metadata.created_at": ["2011_06_14"],
            "suricata.eve.alert.metadata.tag": ["a", "b"],
            "suricata.eve.metadata.flowbits": ["http.dottedquadhost"],
            "suricata.eve.alert.action": None,
            "suricata.eve.alert.signature_id": None,
        },
    ),
    (
        "anomaly",
        ANOMALY,
        {
            "event.category": "network",
            "event.type": "info",
            "suricata.eve.anomaly.event": "IPV4_TRUNC_PKT",
            "suricata.eve.anomaly.type": "decode",
        },
    ),
    (
        "ssh",
        SSH,
        {
            "event.type": "protocol",
            "network.protocol": "ssh",
            "sectool.ssh.client": "libssh2_1.11.0",
            "sectool.ssh.server": "OpenSSH_9.2p1",
            "suricata.eve.ssh.client.hassh.hash": "ec7378c1",
            "suricata.eve.ssh.server.proto_version": "2.0",
            "event.category": "network",  # a handshake, not a login
        },
    ),
    (
        "krb5 failed AS-REQ, logged from the KDC's side",
        KRB_FAIL,
        {
            "event.category": "authentication",
            "event.type": "start",
            "event.outcome": "failure",
            "event.action": "kerberos-as-req",
            "user.name": "jens.hansen",
            "user.domain": "REGION.LOCAL",
            "source.ip": "10.0.5.77",  # the client
            "source.port": 49722,
            "destination.ip": "10.0.0.10",  # the KDC
            "destination.port": 88,
            "network.protocol": "krb5",
            "sectool.kerberos.request_type": "AS",
            "sectool.kerberos.error": "KRB5KDC_ERR_PREAUTH_FAILED",
            "suricata.eve.krb5.sname": "krbtgt/REGION.LOCAL",
            "suricata.eve.krb5.weak_encryption": False,
            "tags": None,  # a real login record, not the heuristic
        },
    ),
    (
        "krb5 pre-authentication required is no failed login",
        KRB_PREAUTH,
        {
            "event.category": "network",
            "event.type": "protocol",
            "event.outcome": None,
            "event.action": "kerberos-as-req",
            "user.name": "jens.hansen",
            "sectool.kerberos.error": "KDC_ERR_PREAUTH_REQUIRED",
        },
    ),
    (
        "krb5 TGS reply",
        KRB_OK,
        {
            "event.category": "authentication",
            "event.outcome": "success",
            "event.action": "kerberos-tgs-req",
            "user.name": "svc-backup",
            "user.domain": "REGION.LOCAL",
            "source.ip": "10.1.2.3",
        },
    ),
    (
        "krb5 request without answer",
        KRB_REQ,
        {"event.category": "network", "event.outcome": None, "user.name": None, "user.domain": None},
    ),
    (
        "smb session setup",
        SMB,
        {
            "network.protocol": "smb",
            "user.name": "administrator",
            "user.domain": "REGION",
            "suricata.eve.smb.status": "STATUS_LOGON_FAILURE",
            "suricata.eve.smb.ntlmssp.host": "WS-17",
        },
    ),
    (
        "stats: sensor health",
        STATS,
        {
            "event.kind": "metric",
            "event.dataset": "suricata.eve",
            "observer.name": "sensor-1",
            "suricata.eve.stats.capture.kernel_packets": 1_000_000,
            "suricata.eve.stats.capture.kernel_drops": 12_345,
            "suricata.eve.stats.decoder.pkts": 987_655,
            "suricata.eve.stats.decoder.event.ipv4.trunc_pkt": 3,
            "suricata.eve.stats.uptime": 3600,
            "suricata.eve.stats.detect.engines": ['{"id":0,"rules_loaded":40000,"rules_failed":2}'],
            "source.ip": None,
            "network.protocol": None,
        },
    ),
    (
        "drop",
        DROP,
        {"event.type": "denied", "suricata.eve.drop.reason": "rules", "suricata.eve.drop.syn": True},
    ),
    (
        "netflow: one direction",
        NETFLOW,
        {
            "event.type": "connection",
            "source.bytes": 4096,
            "source.packets": 12,
            "destination.bytes": None,
            "event.duration": 2_000_000_000,
            "suricata.eve.netflow.age": 2,
        },
    ),
    (
        "dhcp, ether, vlan",
        DHCP,
        {
            "event.type": "protocol",
            "network.protocol": "dhcp",
            "source.mac": "00-11-22-33-44-55",
            "destination.mac": "FF-FF-FF-FF-FF-FF",
            "network.vlan.id": "100",
            "suricata.eve.vlan": [100, 200],
            "suricata.eve.dhcp.hostname": "ws17",
            "suricata.eve.dhcp.params": ["subnet_mask"],
        },
    ),
    (
        "engine log",
        ENGINE,
        {
            "event.category": "host",
            "log.level": "warning",
            "message": "rule reload complete",
            "suricata.eve.engine.module": "detect",
        },
    ),
    ("ip protocol by number", {**DROP, "proto": 47}, {"network.transport": "47", "source.port": 50000}),
    (
        "quic (generic app layer)",
        QUIC,
        {"network.protocol": "quic", "event.type": "protocol", "suricata.eve.quic.sni": "x.example"},
    ),
    (
        "unknown type",
        UNKNOWN,
        {
            "event.kind": "event",
            "event.category": "network",
            "event.type": "info",
            "suricata.eve.carrier_pigeon.feathers": 7,
            "suricata.eve.carrier_pigeon.nested.ok": True,
        },
    ),
]


@pytest.mark.parametrize(("record", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_event_type_mapping(tmp_path: Path, record: dict[str, Any], expected: dict[str, Any]) -> None:
    (event,) = _read(tmp_path, record)
    assert event["event.dataset"] == "suricata.eve"
    assert event["event.module"] == "suricata"
    assert event["suricata.eve.event_type"] == record["event_type"]
    for key, value in expected.items():
        assert event.get(key) == value, key
    assert all(ecs.is_known(k) for k in event), [k for k in event if not ecs.is_known(k)]
    for key, value in event.items():  # the namespace holds scalars or lists of scalars only
        if key.startswith("suricata."):
            items = value if isinstance(value, list) else [value]
            assert all(isinstance(v, str | int | float | bool) for v in items), key


@pytest.mark.parametrize(
    "record", [c[1] for c in CASES if "flow_id" in c[1]], ids=[c[0] for c in CASES if "flow_id" in c[1]]
)
def test_common_fields(tmp_path: Path, record: dict[str, Any]) -> None:
    (event,) = _read(tmp_path, record)
    assert event["suricata.eve.flow_id"] == "2214442221"
    assert event["observer.name"] == event["observer.hostname"] == "sensor-1"
    assert (event["observer.vendor"], event["observer.product"], event["observer.type"]) == (
        "OISF",
        "Suricata",
        "ids",
    )
    assert sorted(event["related.ip"]) == sorted({event["source.ip"], event["destination.ip"]})
    if event["network.transport"] in ("tcp", "udp"):  # the Community ID spec hashes no ports for others
        assert event["network.community_id"].startswith("1:")
    else:
        assert "network.community_id" not in event
    if record["event_type"] not in ("netflow",):
        assert event["@timestamp"] == _T


def test_ids_of_new_types_follow_the_record(tmp_path: Path) -> None:
    """flow_id + event_type + timestamp (+ tx_id, + what tells records of one packet apart)."""
    twin = _rec("anomaly", anomaly={"type": "decode", "event": "IPV4_OPT_PAD_REQUIRED"})
    other_tx = {**HTTP, "tx_id": 4}
    events = _read(
        tmp_path,
        HTTP,
        other_tx,
        ANOMALY,
        twin,
        FILEINFO,
        {**FILEINFO, "fileinfo": {**FILEINFO["fileinfo"], "file_id": 8}},
    )
    ids = [document_id(e) for e in events]
    assert len(set(ids)) == len(ids)
    again = _read(tmp_path, HTTP)
    assert document_id(again[0]) == ids[0]
    # labels never change an id
    eve = tmp_path / "eve.json"
    (labelled,) = read_events(eve, site="clinic-7")
    assert document_id(labelled) == ids[0]


def test_stats_without_host_take_the_site(tmp_path: Path) -> None:
    record = {k: v for k, v in STATS.items() if k != "host"}
    eve = tmp_path / "eve.json"
    eve.write_text(json.dumps(record) + "\n")
    (event,) = read_events(eve, site="clinic-7")
    assert event["observer.name"] == "clinic-7"
    assert event["event.kind"] == "metric"


def test_unknown_types_are_kept_and_reported_once_per_type(tmp_path: Path) -> None:
    report = ReadReport()
    other = _rec("hologram", hologram={"x": 1})
    events = _read(tmp_path, UNKNOWN, HTTP, UNKNOWN, other, UNKNOWN, report=report)
    assert len(events) == 5
    assert report.skipped == 0
    assert len(report.warnings) == 2
    pigeon = next(w for w in report.warnings if "carrier_pigeon" in w)
    assert "3 events of unknown EVE type 'carrier_pigeon' (first on line 1)" in pigeon
    assert "suricata.eve.carrier_pigeon.*" in pigeon
    assert any("1 events of unknown EVE type 'hologram' (first on line 4)" in w for w in report.warnings)


def test_known_types_are_not_reported(tmp_path: Path) -> None:
    report = ReadReport()
    _read(tmp_path, *[c[1] for c in CASES if c[1] is not UNKNOWN], report=report)
    assert report.warnings == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": {"b": 1}}, {"suricata.eve.x.a.b": 1}),
        ({"l": [1, "two", None, 3.5, True]}, {"suricata.eve.x.l": [1, "two", 3.5, True]}),
        ({"l": [{"k": [1, {"z": None}]}, [1, 2]]}, {"suricata.eve.x.l": ['{"k":[1,{"z":null}]}', "[1,2]"]}),
        ({"l": [], "n": None, "e": {}}, {}),
        (
            {"a.b": 1, "": 2, "c": {"d.e": 3}},
            {"suricata.eve.x.a_b": 1, "suricata.eve.x._": 2, "suricata.eve.x.c.d_e": 3},
        ),
        (
            {"big": 2**64 - 1, "neg": -(2**63), "f": 1.5e300},
            {"suricata.eve.x.big": 2**64 - 1, "suricata.eve.x.neg": -(2**63), "suricata.eve.x.f": 1.5e300},
        ),
        ({"s": "æøå 😀"}, {"suricata.eve.x.s": "æøå 😀"}),
        (
            {" a ": 1, " ": 2, "b c": 3},
            {"suricata.eve.x.a": 1, "suricata.eve.x._": 2, "suricata.eve.x.b c": 3},
        ),
    ],
)
def test_namespace_flattening(tmp_path: Path, value: dict[str, Any], expected: dict[str, Any]) -> None:
    (event,) = _read(tmp_path, {"timestamp": TS, "event_type": "x", "x": value})
    got = {k: v for k, v in event.items() if k.startswith("suricata.eve.x.")}
    assert got == expected


def test_sixteen_levels_are_accepted(tmp_path: Path) -> None:
    deep: Any = 1
    for _ in range(15):  # x + 15 = 16 levels
        deep = {"d": deep}
    (event,) = _read(tmp_path, {"timestamp": TS, "event_type": "x", "x": deep})
    assert event["suricata.eve.x" + ".d" * 15] == 1


def test_many_unknown_types_are_reported_in_bounds(tmp_path: Path) -> None:
    report = ReadReport()
    records = [_rec(f"type{n}", **{f"type{n}": {"n": n}}) for n in range(25)]
    events = _read(tmp_path, *records, report=report)
    assert len(events) == 25
    assert len(report.warnings) == 21
    assert report.warnings[-1].endswith("5 events of further unknown EVE types (first on line 21)")
