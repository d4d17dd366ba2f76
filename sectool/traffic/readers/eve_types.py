"""EVE event types -> ECS: what each ``event_type`` sets beyond the fields every record shares.

As the Elastic Suricata integration's ingest pipeline (``packages/suricata/data_stream/eve``)
maps them, with sectool's one-keyword ``event.category``/``event.type`` (the most specific of
Filebeat's values) and a few ECS fields Filebeat leaves under ``suricata.eve.*`` (documented in
docs/traffic-ingest.md, "Suricata EVE"). Each mapper reads through a
:class:`~sectool.traffic.readers.eve_record.Source`, which remembers the moved fields; the rest of
the record goes to ``suricata.eve.*`` (:mod:`.eve_flat`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sectool.traffic.flows import ACK, FIN, RST, SYN, Flow, conn_state
from sectool.traffic.readers.dns import question_fields
from sectool.traffic.readers.eve_record import Source

__all__ = ["APP_LAYER", "KNOWN", "MAPPERS", "classify"]

#: Application-layer event types Suricata 7/8 write (one record per transaction); the
#: ``network.protocol`` each gets when the record has no ``app_proto`` (Filebeat's table where it
#: has one, else the type's own name).
APP_LAYER: dict[str, str] = {
    **{name: name for name in (
        "dcerpc", "dhcp", "dnp3", "enip", "ftp", "http2", "ike", "ikev2", "krb5", "ldap", "mdns",
        "modbus", "mqtt", "nfs", "pgsql", "pop3", "quic", "rdp", "rfb", "sip", "smb", "smtp",
        "snmp", "ssh", "telnet", "tftp", "tls", "websocket", "doh2", "bittorrent_dht",
        "bittorrent-dht", "template", "dns", "http",
    )},
    "ftp_data": "ftp",
}  # fmt: skip
#: Every event type the reader knows; others are kept as generic events and reported.
KNOWN = frozenset(APP_LAYER) | {
    "alert", "anomaly", "drop", "engine", "fileinfo", "flow", "frame", "netflow", "stats", "arp",
}  # fmt: skip

#: ``event_type`` -> (``event.kind``, ``event.category``, ``event.type``) where it differs from
#: an application-layer record's ``event``/``network``/``protocol``.
_CLASS: dict[str, tuple[str, str, str]] = {
    "flow": ("event", "network", "connection"),
    "netflow": ("event", "network", "connection"),
    "http": ("event", "web", "access"),
    "http2": ("event", "web", "access"),
    "alert": ("alert", "intrusion_detection", "info"),
    "drop": ("event", "network", "denied"),
    "anomaly": ("event", "network", "info"),
    "fileinfo": ("event", "file", "info"),
    "stats": ("metric", "network", "info"),
    "engine": ("event", "host", "info"),
    "frame": ("event", "network", "info"),
    "arp": ("event", "network", "protocol"),
}


def classify(etype: str) -> tuple[str, str, str]:
    """``(event.kind, event.category, event.type)`` of an event type (unknown: ``info``)."""
    found = _CLASS.get(etype)
    if found is not None:
        return found
    return ("event", "network", "protocol" if etype in APP_LAYER else "info")


def _flags(hexstr: Any) -> int:
    try:
        return int(str(hexstr), 16) if hexstr else 0
    except ValueError:
        return 0


def _state(src: Source, transport: str | None, pkts_tc: int | None) -> str | None:
    """A Zeek-like connection state from the TCP flags each side sent (EVE ``tcp`` object)."""
    if transport != "tcp":
        return "SF" if pkts_tc else "S0"
    tcp = src.obj("tcp") or {}
    flow = Flow(6, b"", 0, b"", 0, 0)
    flow.oflags = _flags(tcp.get("tcp_flags_ts"))
    flow.rflags = _flags(tcp.get("tcp_flags_tc"))
    flow.rpkts = pkts_tc or 0
    if not flow.oflags and not flow.rflags:  # older Suricata: only the union of flags
        both = _flags(tcp.get("tcp_flags"))
        flow.oflags = both & (SYN | FIN | RST | ACK)
        flow.rflags = both & (SYN | ACK) if pkts_tc else 0
    return conn_state(flow)


def _counters(src: Source, obj: str = "flow") -> dict[str, Any]:
    """Byte and packet counters of an EVE ``flow`` object (flow records and alerts)."""
    return {
        "source.bytes": src.count(f"{obj}.bytes_toserver"),
        "destination.bytes": src.count(f"{obj}.bytes_toclient"),
        "source.packets": src.count(f"{obj}.pkts_toserver"),
        "destination.packets": src.count(f"{obj}.pkts_toclient"),
    }


def _start(src: Source, path: str) -> Any:
    value = src.raw(path)
    return src.where.time(path, value) if value else None


def _flow(src: Source, event: dict[str, Any]) -> None:
    start = _start(src, "flow.start") or event["@timestamp"]
    end = _start(src, "flow.end")
    event.update(_counters(src))
    event.update(
        {
            # flow.start, so that flows line up with pcap and Zeek connections
            "@timestamp": start,
            "event.start": start,
            "event.end": end,
            "event.duration": int((end - start).total_seconds() * 1_000_000) * 1000
            if end and end >= start
            else None,
            "sectool.connection.state": _state(
                src, event.get("network.transport"), event.get("destination.packets")
            ),
        }
    )


def _netflow(src: Source, event: dict[str, Any]) -> None:
    """One direction of a flow (``netflow`` output): its counters are the sender's."""
    start = _start(src, "netflow.start")
    end = _start(src, "netflow.end")
    event["source.bytes"] = src.count("netflow.bytes")
    event["source.packets"] = src.count("netflow.pkts")
    if start:
        event["@timestamp"] = event["event.start"] = start
        event["event.end"] = end
        if end and end >= start:
            event["event.duration"] = int((end - start).total_seconds() * 1_000_000) * 1000


def _dns(src: Source, event: dict[str, Any]) -> None:
    """EVE DNS formats v1 (one answer per line), v2 and v3 (``queries``/``answers``/``grouped``)."""
    dns = src.obj("dns")
    if dns is None:
        raise src.where.fail("dns", src.rec.get("dns"), "a JSON object", "dns record without a 'dns' object")
    where = src.where
    event["network.protocol"] = "dns"
    dtype = dns.get("type")
    name = src.raw("dns.rrname")
    qtype = src.raw("dns.rrtype")
    queries = dns.get("queries")
    if isinstance(queries, list) and queries and isinstance(queries[0], dict):  # EVE v3
        name = queries[0].get("rrname", name)
        qtype = queries[0].get("rrtype", qtype)
    answers: list[str] = []
    if isinstance(dns.get("answers"), list):  # v2/v3 detailed
        answers = [
            str(a["rdata"]) for a in dns["answers"] if isinstance(a, dict) and a.get("rdata") is not None
        ]
    elif isinstance(dns.get("grouped"), dict):  # v2/v3 grouped
        for values in dns["grouped"].values():
            if isinstance(values, list):
                answers.extend(str(v if not isinstance(v, dict) else v.get("rdata", "")) for v in values)
    elif dtype == "answer" and dns.get("rdata") is not None:  # v1: one answer record per line
        answers = [str(src.raw("dns.rdata"))]
    src.used.add("dns.type")
    event["dns.type"] = "answer" if dtype == "answer" or answers or dns.get("rcode") else "query"
    msg_id = src.integer("dns.id", 0, 65535, "a DNS transaction id 0..65535")
    event["dns.id"] = None if msg_id is None else str(msg_id)
    event["dns.response_code"] = src.text("dns.rcode")
    event["dns.answers.data"] = answers or None
    name = where.text("dns.rrname", name)
    qtype = where.text("dns.rrtype", qtype)
    if name:
        event.update(question_fields(name, qtype))
    elif qtype:
        event["dns.question.type"] = qtype


def _alert(src: Source, event: dict[str, Any]) -> None:
    """An alert: ``rule.*``, the severity, allowed/denied, and the alert's flow counters."""
    if src.obj("alert") is None:
        raise src.where.fail(
            "alert", src.rec.get("alert"), "a JSON object", "alert record without an 'alert' object"
        )
    action = src.raw("alert.action")
    if action is not None and action not in ("allowed", "blocked"):
        raise src.where.fail("alert.action", action, "'allowed' or 'blocked'")
    sid = src.count("alert.signature_id")
    rev = src.count("alert.rev")
    category = src.text("alert.category")
    event.update(
        {
            "event.type": {"allowed": "allowed", "blocked": "denied"}.get(action or "", "info"),
            "event.start": _start(src, "flow.start"),
            "rule.id": None if sid is None else str(sid),
            "rule.name": src.text("alert.signature"),
            "rule.category": category,
            "rule.version": None if rev is None else str(rev),
            "message": category,  # as Filebeat
            "event.severity": src.count("alert.severity"),
        }
    )
    event.update(_counters(src))


def _fileinfo(src: Source, event: dict[str, Any]) -> None:
    path = src.text("fileinfo.filename")
    if path:
        event["file.path"] = path
        event["file.name"] = path.replace("\\", "/").rsplit("/", 1)[-1] or None
    event["file.size"] = src.count("fileinfo.size")
    for algo in ("md5", "sha1", "sha256"):
        digest = src.text(f"fileinfo.{algo}")
        if digest:
            event[f"file.hash.{algo}"] = digest
            event.setdefault("related.hash", []).append(digest)


def _ssh(src: Source, event: dict[str, Any]) -> None:
    event["sectool.ssh.client"] = src.text("ssh.client.software_version")
    event["sectool.ssh.server"] = src.text("ssh.server.software_version")


def _smb(src: Source, event: dict[str, Any]) -> None:
    """The NTLMSSP user of an SMB session setup, where Suricata saw one."""
    event["user.name"] = src.text("smb.ntlmssp.user")
    event["user.domain"] = src.text("smb.ntlmssp.domain")


def _engine(src: Source, event: dict[str, Any]) -> None:
    event["message"] = src.text("engine.message")


#: Kerberos errors that are a step of a normal exchange, not a failed login: a Windows client
#: first asks without pre-authentication and is told to add it.
_KRB_BENIGN = frozenset({"KDC_ERR_PREAUTH_REQUIRED"})
_KRB_REQUESTS = {"KRB_AS_REQ": "as", "KRB_AS_REP": "as", "KRB_TGS_REQ": "tgs", "KRB_TGS_REP": "tgs"}


def _krb5(src: Source, event: dict[str, Any]) -> None:
    """Kerberos: an AS or TGS exchange with an error is a failed authentication, a reply without
    one a successful authentication (``user.name`` = ``cname`` without realm, ``user.domain`` =
    ``realm``); the client is the source (Suricata may log the KDC's answer from port 88)."""
    msg_type = src.text("krb5.msg_type")
    failed = src.text("krb5.failed_request")
    error = src.text("krb5.error_code")
    cname = src.text("krb5.cname")
    realm = src.text("krb5.realm")
    if cname == "<empty>":
        cname = None
    if cname and "@" in cname:
        cname, _, from_name = cname.partition("@")
        realm = realm if realm and realm != "<empty>" else from_name
    event["user.name"] = cname or None
    event["user.domain"] = realm if realm != "<empty>" else None
    event["sectool.kerberos.error"] = error
    kind = _KRB_REQUESTS.get(failed or msg_type or "")
    if kind is None:
        return
    event["sectool.kerberos.request_type"] = kind.upper()
    event["event.action"] = f"kerberos-{kind}-req"
    code = (error or "").upper().removeprefix("KRB5")
    if error and code in _KRB_BENIGN:
        return
    if not error and not (msg_type or "").endswith("_REP"):
        return  # a request whose answer was not seen: no outcome
    event.update(
        {
            "event.category": "authentication",
            "event.type": "start",
            "event.outcome": "failure" if error else "success",
        }
    )
    if event.get("source.port") == 88 and event.get("destination.port") != 88:
        for field in ("ip", "port", "mac"):
            src_value, dst_value = event.get(f"source.{field}"), event.get(f"destination.{field}")
            event[f"source.{field}"], event[f"destination.{field}"] = dst_value, src_value


#: ``event_type`` -> its mapper (types without one get the shared fields only).
MAPPERS: dict[str, Callable[[Source, dict[str, Any]], None]] = {
    "flow": _flow,
    "netflow": _netflow,
    "dns": _dns,
    "alert": _alert,
    "fileinfo": _fileinfo,
    "ssh": _ssh,
    "smb": _smb,
    "krb5": _krb5,
    "engine": _engine,
}
