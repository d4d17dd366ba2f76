"""Per-log mapping of Zeek records to ECS (JSON and TSV alike), and the reader's robustness."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sectool.cli import main
from sectool.errors import InputError
from sectool.traffic import ecs
from sectool.traffic.readers import ReadReport, detect_format, read_events

ID = {"uid": "CU1", "id.orig_h": "10.0.0.5", "id.orig_p": 50000, "id.resp_h": "192.0.2.9", "id.resp_p": 88}
TS = {"ts": 1700000000.5}

#: (_path, record, expected subset of the event)
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "kerberos",
        {
            **ID,
            "request_type": "AS",
            "client": "jdoe/EXAMPLE.DK",
            "service": "krbtgt/EXAMPLE.DK",
            "success": False,
            "error_msg": "KDC_ERR_PREAUTH_FAILED",
        },
        {
            "event.dataset": "zeek.kerberos",
            "event.category": "authentication",
            "event.type": "start",
            "event.action": "kerberos-as-req",
            "event.outcome": "failure",
            "user.name": "jdoe",
            "user.domain": "EXAMPLE.DK",
            "sectool.kerberos.error": "KDC_ERR_PREAUTH_FAILED",
            "event.reason": "KDC_ERR_PREAUTH_FAILED",
            "source.ip": "10.0.0.5",
            "destination.port": 88,
            "related.user": ["jdoe"],
            "zeek.kerberos.service": "krbtgt/EXAMPLE.DK",
        },
    ),
    (
        "kerberos",
        {
            **ID,
            "request_type": "TGS",
            "client": "host/pc1.example.dk/EXAMPLE.DK",
            "error_msg": "KDC_ERR_S_PRINCIPAL_UNKNOWN",
        },
        {
            "event.action": "kerberos-tgs-req",
            "event.outcome": "failure",
            "user.name": "host/pc1.example.dk",
            "user.domain": "EXAMPLE.DK",
            "sectool.kerberos.request_type": "TGS",
        },
    ),
    (
        # The first AS-REQ of every Windows logon, answered "add pre-authentication": a step of a
        # normal exchange, not a failed login (as the EVE and capture readers take it).
        "kerberos",
        {
            **ID,
            "request_type": "AS",
            "client": "jdoe/EXAMPLE.DK",
            "service": "krbtgt/EXAMPLE.DK",
            "success": False,
            "error_msg": "KDC_ERR_PREAUTH_REQUIRED",
        },
        {
            "event.category": "network",
            "event.type": "protocol",
            "event.action": "kerberos-as-req",
            "event.outcome": None,
            "user.name": "jdoe",
            "user.domain": "EXAMPLE.DK",
            "sectool.kerberos.error": "KDC_ERR_PREAUTH_REQUIRED",
        },
    ),
    (
        "kerberos",
        {**ID, "request_type": "AS", "client": "jdoe", "success": True},
        {"event.outcome": "success", "user.name": "jdoe", "user.domain": None, "event.reason": None},
    ),
    (
        "ssh",
        {
            **ID,
            "auth_success": None,
            "auth_attempts": 3,
            "client": "SSH-2.0-libssh",
            "server": "SSH-2.0-OpenSSH_9.6",
        },
        {
            "event.category": "authentication",
            "event.outcome": "failure",
            "event.action": "ssh-login",
            "zeek.ssh.auth_attempts": 3,
            "sectool.ssh.client": "SSH-2.0-libssh",
            "sectool.ssh.server": "SSH-2.0-OpenSSH_9.6",
            "network.protocol": "ssh",
            "user.name": None,
        },
    ),
    (
        "ssh",
        {**ID, "auth_success": True, "auth_attempts": 1},
        {"event.category": "authentication", "event.outcome": "success"},
    ),
    (
        "ssh",
        {**ID, "auth_attempts": 0, "client": "SSH-2.0-Go"},
        {"event.category": "network", "event.type": "protocol", "event.outcome": None, "event.action": None},
    ),
    (
        "ntlm",
        {
            **ID,
            "username": "jdoe",
            "domainname": "CLINIC",
            "hostname": "PC1",
            "status": "STATUS_LOGON_FAILURE",
        },
        {
            "event.category": "authentication",
            "event.action": "ntlm-auth",
            "event.outcome": "failure",
            "user.name": "jdoe",
            "user.domain": "CLINIC",
            "event.reason": "STATUS_LOGON_FAILURE",
            "zeek.ntlm.hostname": "PC1",
        },
    ),
    (
        "ntlm",
        {**ID, "username": "jdoe", "success": True},
        {"event.outcome": "success"},
    ),
    (
        "rdp",
        {**ID, "cookie": "administrator", "result": "encrypted", "security_protocol": "HYBRID"},
        {
            "event.category": "authentication",
            "event.action": "rdp-login",
            "event.outcome": "unknown",
            "user.name": "administrator",
            "network.protocol": "rdp",
            "zeek.rdp.security_protocol": "HYBRID",
        },
    ),
    (
        "rdp",
        {**ID, "cookie": "bob", "result": "User rejected"},
        {"event.outcome": "failure", "event.reason": "User rejected"},
    ),
    (
        "radius",
        {**ID, "username": "nurse7", "mac": "00:11:22:aa:bb:cc", "result": "failed"},
        {
            "event.category": "authentication",
            "event.outcome": "failure",
            "user.name": "nurse7",
            "source.mac": "00-11-22-AA-BB-CC",
        },
    ),
    (
        "http",
        {
            **ID,
            "method": "POST",
            "host": "portal.example.dk",
            "uri": "/login.php?u=1",
            "version": "1.1",
            "user_agent": "curl/8",
            "request_body_len": 10,
            "response_body_len": 20,
            "status_code": 302,
            "resp_mime_types": ["text/html"],
            "username": "u",
            "password": "secret",
            "referrer": "http://a/",
        },
        {
            "http.request.method": "POST",
            "url.domain": "portal.example.dk",
            "url.original": "/login.php?u=1",
            "url.path": "/login.php",
            "url.query": "u=1",
            "url.port": 88,
            "http.version": "1.1",
            "user_agent.original": "curl/8",
            "http.request.body.bytes": 10,
            "http.response.body.bytes": 20,
            "http.response.status_code": 302,
            "http.response.mime_type": "text/html",
            "zeek.http.password": None,
            "zeek.http.username": "u",
            "http.request.referrer": "http://a/",
            "related.hosts": ["portal.example.dk"],
        },
    ),
    (
        "http",
        {**ID, "method": "CONNECT", "uri": "http://example.dk:8080/a/b?x"},
        {"url.path": "/a/b", "url.query": "x"},
    ),
    (
        "ssl",
        {
            **ID,
            "version": "TLSv13",
            "cipher": "TLS_AES_128_GCM_SHA256",
            "server_name": "ehr.example.dk",
            "established": True,
            "resumed": False,
            "ja3": "abc",
            "subject": "CN=ehr",
            "issuer": "CN=ca",
        },
        {
            "tls.version": "1.3",
            "tls.version_protocol": "tls",
            "tls.cipher": "TLS_AES_128_GCM_SHA256",
            "tls.client.server_name": "ehr.example.dk",
            "destination.domain": "ehr.example.dk",
            "tls.established": "true",
            "tls.resumed": "false",
            "tls.client.ja3": "abc",
            "tls.server.subject": "CN=ehr",
            "tls.server.issuer": "CN=ca",
            "network.protocol": "tls",
        },
    ),
    (
        "notice",
        {
            **TS,
            "note": "SSH::Password_Guessing",
            "msg": "198.51.100.7 appears to be guessing SSH passwords",
            "src": "198.51.100.7",
            "dst": "10.0.0.9",
            "p": 22,
            "actions": ["Notice::ACTION_LOG"],
        },
        {
            "event.kind": "alert",
            "event.category": "intrusion_detection",
            "rule.name": "SSH::Password_Guessing",
            "message": "198.51.100.7 appears to be guessing SSH passwords",
            "source.ip": "198.51.100.7",
            "destination.ip": "10.0.0.9",
            "destination.port": 22,
            "zeek.notice.actions": ["Notice::ACTION_LOG"],
        },
    ),
    (
        "weird",
        {**ID, "name": "bad_TCP_checksum", "addl": "x", "notice": False, "peer": "worker-1"},
        {
            "event.kind": "event",
            "event.category": "network",
            "rule.name": "bad_TCP_checksum",
            "zeek.weird.addl": "x",
            "zeek.weird.notice": False,
        },
    ),
    (
        "files",
        {
            **TS,
            "fuid": "F1",
            "tx_hosts": ["192.0.2.9"],
            "rx_hosts": ["10.0.0.5"],
            "mime_type": "application/pdf",
            "filename": "a.pdf",
            "total_bytes": 1234,
            "md5": "m",
            "sha1": "s",
            "sha256": "t",
        },
        {
            "event.category": "file",
            "file.mime_type": "application/pdf",
            "file.name": "a.pdf",
            "file.size": 1234,
            "file.hash.md5": "m",
            "file.hash.sha1": "s",
            "file.hash.sha256": "t",
            "related.hash": ["m", "s", "t"],
            "related.ip": ["192.0.2.9", "10.0.0.5"],
            "zeek.files.fuid": "F1",
        },
    ),
    (
        "smb_files",
        {
            **ID,
            "fuid": "F2",
            "action": "SMB::FILE_OPEN",
            "path": "\\\\srv\\share",
            "name": "journal.docx",
            "size": 9,
        },
        {
            "event.action": "SMB::FILE_OPEN",
            "file.path": "\\\\srv\\share",
            "file.name": "journal.docx",
            "file.size": 9,
            "network.protocol": "smb",
        },
    ),
    (
        "dce_rpc",
        {**ID, "endpoint": "samr", "operation": "SamrEnumerateUsersInDomain", "named_pipe": "\\pipe\\samr"},
        {
            "event.action": "SamrEnumerateUsersInDomain",
            "zeek.dce_rpc.endpoint": "samr",
            "network.protocol": "dce_rpc",
        },
    ),
    (
        "ftp",
        {**ID, "user": "anonymous", "password": "x@y", "command": "RETR", "arg": "/pub/f", "reply_code": 226},
        {
            "user.name": "anonymous",
            "event.action": "RETR",
            "zeek.ftp.password": None,
            "zeek.ftp.reply_code": 226,
        },
    ),
    (
        "mysql",
        {**ID, "cmd": "login", "arg": "root", "success": False},
        {"event.action": "login", "event.outcome": "failure", "network.protocol": "mysql"},
    ),
    (
        "dhcp",
        {
            **TS,
            "uids": ["C1", "C2"],
            "client_addr": "10.0.0.5",
            "server_addr": "10.0.0.1",
            "mac": "08:00:27:7f:09:e1",
            "host_name": "pc-7",
            "assigned_addr": "10.0.0.5",
            "msg_types": ["REQUEST", "ACK"],
        },
        {
            "source.ip": "10.0.0.5",
            "destination.ip": "10.0.0.1",
            "source.mac": "08-00-27-7F-09-E1",
            "host.hostname": "pc-7",
            "zeek.dhcp.msg_types": ["REQUEST", "ACK"],
            "network.protocol": "dhcp",
        },
    ),
    (
        "software",
        {**TS, "host": "10.0.0.5", "software_type": "SSH::CLIENT", "name": "OpenSSH", "version.major": 8},
        {
            "event.category": "host",
            "host.ip": ["10.0.0.5"],
            "zeek.software.name": "OpenSSH",
            "zeek.software.version.major": 8,
        },
    ),
    (
        "known_services",
        {**TS, "host": "10.0.0.9", "port_num": 443, "port_proto": "tcp", "service": ["SSL"]},
        {
            "destination.ip": "10.0.0.9",
            "destination.port": 443,
            "network.transport": "tcp",
            "network.protocol": "tls",
        },
    ),
    (
        "capture_loss",
        {**TS, "ts_delta": 60.0, "peer": "zeek", "gaps": 1, "acks": 100, "percent_lost": 1.0},
        {"event.kind": "metric", "zeek.capture_loss.percent_lost": 1.0},
    ),
    (
        "stats",
        {**TS, "peer": "zeek", "mem": 100, "pkts_proc": 5},
        {"event.kind": "metric", "event.dataset": "zeek.stats", "zeek.stats.pkts_proc": 5},
    ),
    (
        "tunnel",
        {**ID, "tunnel_type": "Tunnel::GRE", "action": "Tunnel::DISCOVER"},
        {"event.action": "Tunnel::DISCOVER", "zeek.tunnel.tunnel_type": "Tunnel::GRE"},
    ),
    (
        "signatures",
        {
            **TS,
            "src_addr": "10.0.0.5",
            "src_port": 1,
            "dst_addr": "192.0.2.9",
            "dst_port": 80,
            "note": "Signatures::Sensitive_Signature",
            "sig_id": "eicar",
            "event_msg": "EICAR test file",
        },
        {
            "event.kind": "alert",
            "rule.id": "eicar",
            "message": "EICAR test file",
            "source.ip": "10.0.0.5",
            "destination.port": 80,
        },
    ),
    (
        "reporter",
        {**TS, "level": "Reporter::WARNING", "message": "dropped packets", "location": ""},
        {"log.level": "warning", "message": "dropped packets", "zeek.reporter.location": None},
    ),
    (
        "arp",
        {
            **TS,
            "operation": "request",
            "src_mac": "50:5b:c2:db:c3:17",
            "dst_mac": "ff:ff:ff:ff:ff:ff",
            "orig_h": "192.168.1.15",
            "resp_h": "192.168.1.1",
            "orig_hw": "50:5b:c2:db:c3:17",
            "resp_hw": "00:00:00:00:00:00",
        },
        {
            "event.dataset": "zeek.arp",
            "event.action": "request",
            "source.mac": "50-5B-C2-DB-C3-17",
            "destination.mac": "FF-FF-FF-FF-FF-FF",
            "source.ip": "192.168.1.15",
            "destination.ip": "192.168.1.1",
        },
    ),
    (
        "quic",  # a log sectool has no table for: generic, never fatal
        {**ID, "version": "1", "server_name": "x.dk"},
        {
            "event.dataset": "zeek.quic",
            "event.type": "info",
            "zeek.quic.server_name": "x.dk",
            "source.ip": "10.0.0.5",
        },
    ),
]


@pytest.mark.parametrize(("path_name", "record", "expected"), CASES)
def test_log_mapping(
    tmp_path: Path, path_name: str, record: dict[str, Any], expected: dict[str, Any]
) -> None:
    log = tmp_path / "stream.json"
    log.write_text(json.dumps({"_path": path_name, **TS, **record}) + "\n")
    (event,) = list(read_events(log))
    assert {k: event.get(k) for k in expected} == expected
    assert event["event.module"] == "zeek"
    assert ecs.unknown_fields(event) == []
    assert "secret" not in json.dumps(event, default=str)


@pytest.mark.parametrize(("path_name", "record", "expected"), [c for c in CASES if c[0] != "quic"])
def test_the_same_record_without_path_is_recognised(
    tmp_path: Path, path_name: str, record: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Zeek's plain JSON writer has no _path: the keys (or else the file name) tell the log.
    (An unknown log is told by its _path or name only: quic's keys look like ssl's.)"""
    log = tmp_path / f"{path_name}.log"
    log.write_text(json.dumps({**TS, **record}) + "\n")
    assert detect_format(log) == "zeek"
    (event,) = list(read_events(log))
    assert event["event.dataset"] == expected.get("event.dataset", f"zeek.{path_name}")


def _tsv(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


HEAD = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-"]
WEIRD = [
    "#path\tweird",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tname\taddl\tnotice\tpeer",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tbool\tstring",
]
WEIRD_ROW = "1700000000.0\tC1\t10.0.0.5\t1\t10.0.0.6\t2\tbad_HTTP_request\tx\\x09y\tF\tw1"


def test_tsv_and_json_give_the_same_event(tmp_path: Path) -> None:
    tsv = tmp_path / "weird.log"
    tsv.write_text(_tsv([*HEAD, *WEIRD, WEIRD_ROW]))
    js = tmp_path / "weird.json"
    js.write_text(
        json.dumps(
            {
                "ts": 1700000000.0,
                "uid": "C1",
                "id": {"orig_h": "10.0.0.5", "orig_p": 1, "resp_h": "10.0.0.6", "resp_p": 2},
                "name": "bad_HTTP_request",
                "addl": "x\ty",
                "notice": False,
                "peer": "w1",
            }
        )
        + "\n"
    )
    (a,), (b,) = list(read_events(tsv)), list(read_events(js))
    a.pop("log.file.path"), b.pop("log.file.path")
    assert a == b
    assert a["zeek.weird.addl"] == "x\ty"  # \x09 unescaped
    assert a.doc_id == b.doc_id  # type: ignore[attr-defined]


def test_fields_repeated_mid_file_start_a_new_schema(tmp_path: Path) -> None:
    reporter = [
        "#path\treporter",
        "#fields\tts\tlevel\tmessage\tlocation",
        "#types\ttime\tenum\tstring\tstring",
    ]
    text = _tsv(
        [
            *HEAD,
            *WEIRD,
            WEIRD_ROW,
            "#close\t2024",
            *HEAD,
            "#open\t2024",
            *reporter,
            "1700000001.0\tReporter::ERROR\tboom\t(empty)",
        ]
    )
    log = tmp_path / "rotated.log"
    log.write_text(text)
    weird, rep = list(read_events(log))
    assert (weird["event.dataset"], rep["event.dataset"]) == ("zeek.weird", "zeek.reporter")
    assert rep["log.level"] == "error"
    assert "zeek.reporter.location" not in rep


def test_labels_and_combined_label_columns(tmp_path: Path) -> None:
    fields = (
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttunnel_type"
        "\ttunnel_parents   label   detailed-label"
    )
    row = "1700000000.0\tC1\t10.0.0.5\t0\t10.0.0.6\t0\tTunnel::GRE\t(empty)   Malicious   C&C"
    odd = "1700000001.0\tC2\t10.0.0.5\t0\t10.0.0.6\t0\tTunnel::GRE\tjust-one-part"
    log = tmp_path / "tunnel.log"
    log.write_text(_tsv([*HEAD, "#path\ttunnel", fields, row, odd]))
    first, second = list(read_events(log))
    assert (first["labels.label"], first["labels.detailed-label"]) == ("Malicious", "C&C")
    assert "zeek.tunnel.tunnel_parents" not in first  # (empty)
    assert second["labels.tunnel_parents-label-detailed-label"] == "just-one-part"


def test_skipped_logs_get_one_counted_note(tmp_path: Path) -> None:
    log = tmp_path / "loaded_scripts.log"
    log.write_text(
        _tsv([*HEAD, "#path\tloaded_scripts", "#fields\tname", "#types\tstring", "/a.zeek", "/b.zeek"])
    )
    report = ReadReport()
    assert list(read_events(log, report=report)) == []
    assert report.skipped == 2
    assert report.warnings == [f"{log}: skipped 2 loaded_scripts record(s): sensor bookkeeping, not traffic"]


def test_json_streaming_file_mixes_logs(tmp_path: Path) -> None:
    lines = [
        {
            "_path": "conn",
            "_write_ts": "x",
            "_system_name": "sensor-1",
            **TS,
            **ID,
            "proto": "tcp",
            "conn_state": "S0",
        },
        {"_path": "dns", **TS, **ID, "proto": "udp", "query": "example.dk", "trans_id": 1},
        {"_path": "x509", **TS, "id": "F1", "certificate": {"version": 3, "subject": "CN=a"}},
    ]
    log = tmp_path / "zeek.json"
    log.write_text("".join(json.dumps(x) + "\n" for x in lines))
    conn, dns, cert = list(read_events(log))
    assert (conn["event.dataset"], dns["event.dataset"], cert["event.dataset"]) == (
        "zeek.connection",
        "zeek.dns",
        "zeek.x509",
    )
    assert conn["observer.hostname"] == "sensor-1"
    assert "zeek.connection._write_ts" not in conn
    assert cert["zeek.x509.certificate.subject"] == "CN=a"  # nested JSON flattened


def test_header_only_and_huge_values(tmp_path: Path) -> None:
    empty = tmp_path / "weird.log"
    empty.write_text(_tsv([*HEAD, *WEIRD, "#close\t2024"]))
    assert list(read_events(empty)) == []
    huge = tmp_path / "big.log"
    huge.write_text(_tsv([*HEAD, *WEIRD, WEIRD_ROW.replace("x\\x09y", "a" * 2_000_000)]))
    (event,) = list(read_events(huge))
    assert len(event["zeek.weird.addl"]) == 2_000_000


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["#separator", *HEAD[1:], *WEIRD, WEIRD_ROW], r"weird.log:1: #separator header without a value"),
        (
            ["#separator \\x09", "#set_separator\t", *WEIRD, WEIRD_ROW],
            r"weird.log:2: #set_separator header without a value",
        ),
        ([*HEAD, WEIRD_ROW], r"weird.log:5: data line before the #fields header"),
        (
            [*HEAD, *WEIRD, WEIRD_ROW.replace("\tF\t", "\tmaybe\t")],
            r"weird.log:8, field 'notice': bad value \(got 'maybe'\); expected T or F",
        ),
        ([*HEAD, *WEIRD, WEIRD_ROW.replace("\t1\t", "\tone\t")], r"weird.log:8, field 'id.orig_p'"),
        ([*HEAD, *WEIRD, WEIRD_ROW.replace("10.0.0.5", "10.0.0.500")], r"weird.log:8, field 'id.orig_h'"),
        (
            [*HEAD, *WEIRD, WEIRD_ROW.replace("1700000000.0", "-")],
            r"weird.log:8, field 'ts': record without a timestamp",
        ),
        (
            [*HEAD, *WEIRD, WEIRD_ROW, WEIRD_ROW.rsplit("\t", 2)[0]],
            r"weird.log:9: 8 columns where #fields names 10",
        ),
    ],
)
def test_bad_tsv_names_line_and_field(tmp_path: Path, lines: list[str], message: str) -> None:
    log = tmp_path / "weird.log"
    log.write_text(_tsv(lines))
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=message):
        got.extend(read_events(log))
    assert len(got) == (1 if lines[-2] == WEIRD_ROW else 0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"_path": "weird", "ts": 1, "name": "x"', r"x.json:2: not valid JSON"),
        ('["_path", "weird"]', r"x.json:2: a line must hold a JSON object"),
        ('{"_path": 7, "ts": 1}', r"x.json:2, field '_path'"),
        ('{"_path": "ssh", "ts": 1, "auth_success": "perhaps"}', r"x.json:2, field 'auth_success'"),
        ('{"_path": "conn", "ts": 1, "uid": "C"}', r"x.json:2, field 'id.orig_h': missing Zeek field"),
        ('{"_path": "http", "uid": "C"}', r"x.json:2, field 'ts': record without a timestamp"),
        ('{"_path": "dhcp", "ts": 1, "mac": "not-a-mac"}', r"x.json:2, field 'mac'"),
        # deeper than the flattened zeek.* field takes: Elasticsearch would reject the document
        (
            '{"_path": "weird", "ts": 1, "x": ' + '{"k": ' * 20 + "1" + "}" * 20 + "}",
            r"x.json:2, field 'zeek.weird.x(.k){20}': bad name: more than 20 levels of nesting below 'zeek'",
        ),
        (
            '{"_path": "weird", "ts": 1, "x-y.' + ".".join("k" * 20) + '": 1}',
            r"x.json:2, field 'labels.x-y(.k){20}': bad name: more than 20 levels of nesting below 'labels'",
        ),
    ],
)
def test_bad_json_names_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    log = tmp_path / "x.json"
    log.write_text(json.dumps({"_path": "weird", "ts": 1, "name": "ok"}) + "\n" + line + "\n")
    got: list[dict[str, Any]] = []
    with pytest.raises(InputError, match=message):
        got.extend(read_events(log))
    assert [e["rule.name"] for e in got] == ["ok"]


def test_tsv_without_path_is_told_by_its_columns_and_unknown_logs_are_generic(tmp_path: Path) -> None:
    nameless = tmp_path / "sensor-a.log"
    nameless.write_text(_tsv([*HEAD, *WEIRD[1:], WEIRD_ROW]))
    (weird,) = list(read_events(nameless))
    assert weird["event.dataset"] == "zeek.weird"
    unknown = tmp_path / "x.log"
    quic = ["#path\tquic", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\thistory"]
    unknown.write_text(_tsv([*HEAD, *quic, "1700000000.0\tC9\t10.0.0.5\t1\t10.0.0.6\t443\t1\tISishH"]))
    (event,) = list(read_events(unknown))
    assert (event["event.dataset"], event["zeek.quic.history"], event["destination.port"]) == (
        "zeek.quic",
        "ISishH",
        443,
    )
    bad_path = tmp_path / "y.log"
    bad_path.write_text(_tsv([*HEAD, "#path\t../../etc", *WEIRD[1:], WEIRD_ROW]))
    (odd,) = list(read_events(bad_path))
    assert odd["event.dataset"] == "zeek.______etc"  # a hostile #path cannot escape the zeek.* namespace


def test_cli_exit_2_on_damaged_json_keeps_the_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "ssh.log"
    good = {"_path": "ssh", **TS, **ID, "auth_success": False, "auth_attempts": 4}
    log.write_text(json.dumps(good) + "\n" + json.dumps({**good, "auth_attempts": -1}) + "\n")
    out = tmp_path / "ev.jsonl"
    assert main(["traffic", "ingest", str(log), "--to", str(out)]) == 2
    assert "ssh.log:2, field 'auth_attempts'" in capsys.readouterr().err
    (kept,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (kept["event.outcome"], kept["event.action"]) == ("failure", "ssh-login")


def test_twenty_levels_below_the_namespace_are_kept(tmp_path: Path) -> None:
    log = tmp_path / "x.json"
    deep = {"_path": "weird", "ts": 1, "x": json.loads('{"k": ' * 18 + "1" + "}" * 18)}
    log.write_text(json.dumps(deep) + "\n")
    (event,) = list(read_events(log))
    assert event["zeek.weird.x" + ".k" * 18] == 1
