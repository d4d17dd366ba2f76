"""The mapping tables: which field of which Zeek log goes to which ECS field, following the
Filebeat / Elastic Agent Zeek integration (``x-pack/filebeat/module/zeek/<log>``); docs/traffic-ingest.md
lists them. Fields a table does not name keep their Zeek name under ``zeek.<dataset>.*``.
"""

from __future__ import annotations

from sectool.traffic.readers import zeek_auth
from sectool.traffic.readers.zeek_spec import (
    LogSpec,
    finish_conn,
    finish_dhcp,
    finish_dns,
    finish_files,
    finish_http,
    finish_modbus,
    finish_notice,
    finish_ssl,
    keys,
    targets,
)
from sectool.traffic.readers.zeek_tables_host import HOST_TABLES

__all__ = ["TABLES"]

#: Every log sectool maps; order matters for :func:`.zeek_logs.guess_log` (specific keys first,
#: the host logs last: known_hosts is told by its ``host`` key alone).
TABLES: tuple[LogSpec, ...] = (
    LogSpec(
        "conn",
        "zeek.connection",
        type="connection",
        fields=targets(
            {
                "service": "network.protocol:service",
                "duration": "event.duration:ns",
                "orig_ip_bytes": "source.bytes:count",
                "resp_ip_bytes": "destination.bytes:count",
                "orig_pkts": "source.packets:count",
                "resp_pkts": "destination.packets:count",
                "conn_state": "sectool.connection.state",
                "orig_l2_addr": "source.mac:mac",
                "resp_l2_addr": "destination.mac:mac",
                "vlan": "network.vlan.id",
                "community_id": "network.community_id",
            }
        ),
        keep=frozenset({"service"}),
        finish=finish_conn,
        signatures=keys("conn_state", "orig_ip_bytes", "resp_ip_bytes", "history orig_pkts"),
    ),
    LogSpec(
        "dns",
        "zeek.dns",
        protocol="dns",
        fields=targets(
            {
                "trans_id": "dns.id",
                "query": "dns.question.name",
                "qtype_name": "dns.question.type",
                "qclass_name": "dns.question.class",
                "rcode_name": "dns.response_code",
                "answers": "dns.answers.data:texts",
            }
        ),
        finish=finish_dns,
        signatures=keys("qtype_name", "trans_id", "rcode_name", "qclass", "query rtt"),
    ),
    LogSpec(
        "sip",
        "zeek.sip",
        protocol="sip",
        fields=targets(
            {"method": "event.action", "uri": "url.original", "user_agent": "user_agent.original"}
        ),
        keep=frozenset({"method"}),
        id_fields=("trans_depth", "method"),
        signatures=keys("call_id", "request_from", "request_path"),
    ),
    LogSpec(
        "smtp",
        "zeek.smtp",
        protocol="smtp",
        transport="tcp",
        fields=targets({"user_agent": "user_agent.original"}),
        id_fields=("trans_depth",),
        signatures=keys("mailfrom", "rcptto", "helo", "last_reply"),
    ),
    LogSpec(
        "http",
        "zeek.http",
        protocol="http",
        transport="tcp",
        fields=targets(
            {
                "method": "http.request.method",
                "host": ("url.domain", "related.hosts:texts"),
                "uri": "url.original",
                "referrer": "http.request.referrer",
                "version": "http.version",
                "user_agent": "user_agent.original",
                "request_body_len": "http.request.body.bytes:count",
                "response_body_len": "http.response.body.bytes:count",
                "status_code": "http.response.status_code:count",
                "resp_mime_types": "http.response.mime_type:first",
            }
        ),
        keep=frozenset({"resp_mime_types"}),
        drop=frozenset({"password"}),
        id_fields=("trans_depth",),
        finish=finish_http,
        signatures=keys("resp_mime_types", "orig_mime_types", "info_code", "method uri", "status_code uri"),
    ),
    LogSpec(
        "ssh",
        "zeek.ssh",
        protocol="ssh",
        transport="tcp",
        fields=targets({"client": "sectool.ssh.client", "server": "sectool.ssh.server"}),
        finish=zeek_auth.ssh,
        signatures=keys("auth_attempts", "auth_success", "host_key", "kex_alg", "hassh"),
    ),
    LogSpec(
        "kerberos",
        "zeek.kerberos",
        protocol="kerberos",
        fields=targets(
            {
                "request_type": "sectool.kerberos.request_type",
                "client": "user.name",
                "error_msg": "sectool.kerberos.error",
            }
        ),
        keep=frozenset({"client"}),
        id_fields=("request_type", "client", "service"),
        finish=zeek_auth.kerberos,
        signatures=keys("request_type", "till", "error_msg client"),
    ),
    LogSpec(
        "ssl",
        "zeek.ssl",
        protocol="tls",
        fields=targets(
            {
                "cipher": "tls.cipher",
                "curve": "tls.curve",
                "server_name": ("tls.client.server_name", "destination.domain", "related.hosts:texts"),
                "resumed": "tls.resumed:flag",
                "established": "tls.established:flag",
                "next_protocol": "tls.next_protocol",
                "subject": "tls.server.subject",
                "issuer": "tls.server.issuer",
                "client_subject": "tls.client.subject",
                "client_issuer": "tls.client.issuer",
                "ja3": "tls.client.ja3",
                "ja3s": "tls.server.ja3s",
                "ja4": "tls.client.ja4",
            }
        ),
        finish=finish_ssl,
        signatures=keys(
            "server_name", "cert_chain_fuids", "established", "validation_status", "ja3", "cipher curve"
        ),
    ),
    LogSpec(
        "x509",
        "zeek.x509",
        category="file",
        type="info",
        signatures=keys("certificate.version", "certificate.serial", "certificate.subject", "san.dns"),
    ),
    LogSpec(
        "pe",
        "zeek.pe",
        category="file",
        type="info",
        signatures=keys("machine compile_ts", "is_exe", "section_names"),
    ),
    LogSpec(
        "smb_files",
        "zeek.smb_files",
        category="file",
        type="info",
        protocol="smb",
        transport="tcp",
        fields=targets(
            {
                "action": "event.action",
                "name": "file.name",
                "path": "file.path",
                "size": "file.size:count",
            }
        ),
        id_fields=("fuid", "action", "name"),
        signatures=keys("prev_name", "times.modified", "action path name"),
    ),
    LogSpec(
        "files",
        "zeek.files",
        category="file",
        type="info",
        fields=targets(
            {
                "mime_type": "file.mime_type",
                "filename": "file.name",
                "total_bytes": "file.size:count",
                "md5": ("file.hash.md5", "related.hash:texts"),
                "sha1": ("file.hash.sha1", "related.hash:texts"),
                "sha256": ("file.hash.sha256", "related.hash:texts"),
            }
        ),
        finish=finish_files,
        signatures=keys("tx_hosts", "rx_hosts", "seen_bytes", "missing_bytes", "analyzers fuid"),
    ),
    LogSpec(
        "signatures",
        "zeek.signatures",
        kind="alert",
        category="intrusion_detection",
        type="info",
        fields=targets(
            {
                "src_addr": "source.ip:ip",
                "src_port": "source.port:port",
                "dst_addr": "destination.ip:ip",
                "dst_port": "destination.port:port",
                "sig_id": "rule.id",
                "note": "rule.name",
                "event_msg": ("rule.description", "message"),
            }
        ),
        id_fields=("sig_id", "src_addr", "dst_addr"),
        signatures=keys("sig_id", "event_msg", "sig_count"),
    ),
    LogSpec(
        "notice",
        "zeek.notice",
        kind="alert",
        category="intrusion_detection",
        type="info",
        fields=targets(
            {
                "note": "rule.name",
                "msg": ("rule.description", "message"),
                "file_mime_type": "file.mime_type",
            }
        ),
        id_fields=("note", "msg", "src", "dst"),
        finish=finish_notice,
        signatures=keys("note", "suppress_for"),
    ),
    LogSpec(
        "weird",
        "zeek.weird",
        type="info",
        fields=targets({"name": "rule.name"}),
        id_fields=("name", "addl"),
        signatures=keys("addl", "name notice peer"),
    ),
    LogSpec(
        "ntlm",
        "zeek.ntlm",
        protocol="ntlm",
        transport="tcp",
        fields=targets({"username": "user.name", "domainname": "user.domain"}),
        id_fields=("username", "domainname"),
        finish=zeek_auth.ntlm,
        signatures=keys(
            "domainname", "server_nb_computer_name", "server_dns_computer_name", "server_tree_name"
        ),
    ),
    LogSpec(
        "rdp",
        "zeek.rdp",
        protocol="rdp",
        transport="tcp",
        fields=targets({"cookie": "user.name"}),
        finish=zeek_auth.rdp,
        signatures=keys("cookie", "keyboard_layout", "security_protocol", "client_build"),
    ),
    LogSpec(
        "radius",
        "zeek.radius",
        protocol="radius",
        transport="udp",
        fields=targets({"username": "user.name", "mac": "source.mac:mac"}),
        finish=zeek_auth.radius,
        signatures=keys("framed_addr", "connect_info", "reply_msg", "tunnel_client"),
    ),
    LogSpec(
        "smb_mapping",
        "zeek.smb_mapping",
        type="info",
        protocol="smb",
        transport="tcp",
        id_fields=("path",),
        signatures=keys("share_type", "native_file_system"),
    ),
    LogSpec(
        "dce_rpc",
        "zeek.dce_rpc",
        protocol="dce_rpc",
        transport="tcp",
        fields=targets({"operation": "event.action"}),
        keep=frozenset({"operation"}),
        id_fields=("endpoint", "operation"),
        signatures=keys("endpoint operation", "named_pipe"),
    ),
    LogSpec(
        "dhcp",
        "zeek.dhcp",
        protocol="dhcp",
        transport="udp",
        fields=targets(
            {
                "client_addr": "source.ip:ip",
                "server_addr": "destination.ip:ip",
                "mac": "source.mac:mac",
                "host_name": "host.hostname",
            }
        ),
        keep=frozenset({"mac"}),
        id_fields=("uids", "mac", "requested_addr"),
        finish=finish_dhcp,
        signatures=keys("msg_types", "assigned_addr", "lease_time", "uids mac"),
    ),
    LogSpec(
        "tunnel",
        "zeek.tunnel",
        type="connection",
        fields=targets({"action": "event.action"}),
        keep=frozenset({"action"}),
        id_fields=("action", "tunnel_type"),
        signatures=keys("tunnel_type"),
    ),
    LogSpec(
        "ftp",
        "zeek.ftp",
        protocol="ftp",
        transport="tcp",
        fields=targets(
            {
                "user": "user.name",
                "command": "event.action",
                "mime_type": "file.mime_type",
                "file_size": "file.size:count",
            }
        ),
        keep=frozenset({"command"}),
        drop=frozenset({"password"}),
        id_fields=("command", "arg"),
        signatures=keys("reply_code", "command arg"),
    ),
    LogSpec(
        "dpd",
        "zeek.dpd",
        type="info",
        fields=targets({"analyzer": "network.protocol:lower", "failure_reason": "event.reason"}),
        keep=frozenset({"analyzer"}),
        id_fields=("analyzer",),
        signatures=keys("failure_reason", "analyzer"),
    ),
    LogSpec(
        "intel",
        "zeek.intel",
        kind="alert",
        category="threat",
        type="indicator",
        id_fields=("seen.indicator", "seen.where"),
        signatures=keys("seen.indicator", "matched"),
    ),
    LogSpec(
        "snmp",
        "zeek.snmp",
        protocol="snmp",
        transport="udp",
        drop=frozenset({"community"}),  # SNMP v1/v2c's community string is its password
        signatures=keys("community", "get_requests"),
    ),
    LogSpec(
        "socks",
        "zeek.socks",
        protocol="socks",
        transport="tcp",
        fields=targets({"user": "user.name"}),
        drop=frozenset({"password"}),
        signatures=keys("request.host", "bound.host", "request_p", "bound_p"),
    ),
    LogSpec(
        "irc",
        "zeek.irc",
        protocol="irc",
        transport="tcp",
        fields=targets({"user": "user.name", "command": "event.action"}),
        keep=frozenset({"command"}),
        id_fields=("command", "value"),
        signatures=keys("nick", "dcc_file_name"),
    ),
    LogSpec(
        "modbus",
        "zeek.modbus",
        protocol="modbus",
        transport="tcp",
        fields=targets({"func": "event.action", "exception": "event.reason"}),
        keep=frozenset({"func", "exception"}),
        id_fields=("func", "exception"),
        finish=finish_modbus,
        signatures=keys("func"),
    ),
    LogSpec(
        "dnp3",
        "zeek.dnp3",
        protocol="dnp3",
        transport="tcp",
        fields=targets({"fc_request": "event.action"}),
        keep=frozenset({"fc_request"}),
        id_fields=("fc_request", "fc_reply"),
        signatures=keys("fc_request", "fc_reply", "iin"),
    ),
    LogSpec(
        "mysql",
        "zeek.mysql",
        protocol="mysql",
        transport="tcp",
        fields=targets({"cmd": "event.action", "success": "event.outcome:outcome"}),
        keep=frozenset({"cmd", "success"}),
        id_fields=("cmd", "arg"),
        signatures=keys("cmd rows", "cmd response"),
    ),
    LogSpec(
        "ntp",
        "zeek.ntp",
        protocol="ntp",
        transport="udp",
        signatures=keys("stratum", "ref_id", "poll"),
    ),
    LogSpec(
        "syslog",
        "zeek.syslog",
        protocol="syslog",
        fields=targets({"severity": "log.level:lower", "message": "message"}),
        keep=frozenset({"severity"}),
        id_fields=("facility", "message"),
        signatures=keys("facility severity"),
    ),
    LogSpec(
        "traceroute",
        "zeek.traceroute",
        type="info",
        fields=targets({"src": "source.ip:ip", "dst": "destination.ip:ip"}),
        signatures=keys("src dst proto"),  # after notice, which has src/dst/proto too
    ),
    LogSpec(
        "arp",
        "zeek.arp",
        protocol="arp",
        fields=targets(
            {
                "operation": "event.action",
                "src_mac": "source.mac:mac",
                "dst_mac": "destination.mac:mac",
                "orig_h": "source.ip:ip",
                "resp_h": "destination.ip:ip",
            }
        ),
        keep=frozenset({"src_mac", "dst_mac"}),
        id_fields=("operation", "src_mac", "dst_mac", "orig_h", "resp_h", "orig_hw", "resp_hw"),
        signatures=keys("operation orig_hw", "operation src_mac"),
    ),
    *HOST_TABLES,
)
