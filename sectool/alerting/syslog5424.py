"""The syslog channel: one RFC 5424 message per finding, over UDP, TCP or TLS.

Hand-written on purpose: Python's ``logging.handlers.SysLogHandler`` writes the older BSD
format without structured data, has no octet-counting framing and no TLS, and a logging
handler swallows send errors, where a channel must know whether the receiver took a message.

Message (RFC 5424 section 6)::

    <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [sectool@32473 id="..." detector="..."
      severity="high" score="0.91" entity="..." entity_kind="pair" window_start="..."
      window_end="..." techniques="T1071,T1573"] BOM<title>

PRI = facility * 8 + severity, with critical -> 2 (crit), high -> 3 (err), medium -> 4
(warning), low -> 5 (notice). Framing: UDP one message per datagram (RFC 5426, at most 2048
octets: the free-text part is shortened, the structured data never); TCP and TLS use octet
counting, ``LEN SP MSG`` (RFC 6587 section 3.4.1, required by RFC 5425 for TLS).

Delivery: over TCP and TLS a message counts as delivered when the kernel accepted all its
bytes and the connection did not fail; a receiver that crashes before reading them loses
them (syslog has no application-level acknowledgement). Over UDP nothing tells of a lost
datagram: use UDP only where the network path is trusted, prefer TLS.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from sectool.alerting.config import FACILITIES, SyslogOptions
from sectool.alerting.transport import ChannelError, describe_os_error, tls_context
from sectool.traffic.detect.findings import Finding

__all__ = ["CA_ENV", "SEVERITY_CODES", "SyslogSender", "format_message", "frame"]

CA_ENV = "SECTOOL_SYSLOG_CA_CERT"
SEVERITY_CODES = {"critical": 2, "high": 3, "medium": 4, "low": 5}
UDP_MAX = 2048
_BOM = "\ufeff"


#: C0 controls and DEL: a line end in a title or entity taken from network data (a DNS name, a
#: signature, a notice message) would start what a receiver reading lines, or a log viewer, takes
#: for a message of its own; each becomes its ``\xNN`` text.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(value: str) -> str:
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group(0)):02x}", value)


def _sd_escape(value: str) -> str:
    # RFC 5424 6.3.3: '"', '\' and ']' are escaped inside PARAM-VALUE.
    # Controls first, so that the backslash of their \xNN text is escaped like any other.
    return _one_line(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _ts(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _printable(text: str, limit: int) -> str:
    # HOSTNAME and friends are PRINTUSASCII (33..126); anything else becomes '_'.
    out = "".join(c if 33 <= ord(c) <= 126 else "_" for c in text)[:limit]
    return out or "-"


def format_message(
    finding: Finding,
    options: SyslogOptions,
    *,
    now: datetime,
    hostname: str,
    procid: int,
    max_bytes: int | None = None,
) -> bytes:
    """One finding as an RFC 5424 message (without transport framing)."""
    pri = FACILITIES[options.facility] * 8 + SEVERITY_CODES[finding.severity]
    params = [
        ("id", finding.id),
        ("detector", finding.detector),
        ("severity", finding.severity),
        ("score", f"{finding.score:.4f}"),
        ("entity", finding.entity.value),
        ("entity_kind", finding.entity.kind),
        ("window_start", _ts(finding.window_start)),
        ("window_end", _ts(finding.window_end)),
    ]
    if finding.techniques:
        params.append(("techniques", ",".join(finding.techniques)))
    sd = "[" + options.sd_id + "".join(f' {k}="{_sd_escape(v)}"' for k, v in params) + "]"
    header = " ".join(
        [
            f"<{pri}>1",
            _ts(now),
            _printable(options.hostname or hostname, 255),
            _printable(options.app_name, 48),
            str(procid),
            "finding",
            sd,
        ]
    )
    head = header.encode("utf-8") + b" "
    body = (_BOM + _one_line(finding.title)).encode("utf-8")
    if max_bytes is not None and len(head) + len(body) > max_bytes:
        room = max(0, max_bytes - len(head))
        # Cut on a character boundary: decode what fits, ignoring a split last character.
        body = body[:room].decode("utf-8", "ignore").encode("utf-8")
    return head + body


def frame(message: bytes) -> bytes:
    """Octet-counting framing for TCP and TLS (RFC 6587 3.4.1)."""
    return str(len(message)).encode("ascii") + b" " + message


def _close_gracefully(sock: socket.socket, timeout: float) -> None:
    """Say goodbye (TLS close_notify, then TCP FIN) and wait for the receiver to close.

    Closing at once would be wrong: a TLS 1.3 server sends session tickets after the
    handshake, and closing a socket with unread data makes the kernel send a reset, which
    makes the receiver's kernel drop what it had not yet read -- our last messages. Waiting for
    the receiver's end of stream also means it has read everything we sent.
    """
    sock.settimeout(timeout)
    try:
        if isinstance(sock, ssl.SSLSocket):
            sock = sock.unwrap()
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass
    except (OSError, ValueError):
        return  # the messages were handed over; the receiver just closed first


class SyslogSender:
    """Sends one message per pending finding over one connection; each is marked when sent."""

    def __init__(
        self,
        options: SyslogOptions,
        *,
        now: datetime,
        timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.options = options
        self.now = now
        self.timeout = timeout
        self.env = os.environ if env is None else env
        self.notes: list[str] = []
        self.label = f"syslog {options.transport}://{options.host}:{options.effective_port}"

    def deliver(self, pending: Sequence[Finding], mark_sent: Callable[[Sequence[Finding]], None]) -> None:
        o = self.options
        hostname, procid = socket.gethostname(), os.getpid()
        limit = UDP_MAX if o.transport == "udp" else None
        try:
            with self._connect() as sock:
                for f in pending:
                    msg = format_message(
                        f, o, now=self.now, hostname=hostname, procid=procid, max_bytes=limit
                    )
                    if o.transport == "udp":
                        sock.send(msg)
                    else:
                        sock.sendall(frame(msg))
                    mark_sent([f])
                if o.transport != "udp":
                    _close_gracefully(sock, min(self.timeout, 5.0))
        except ssl.SSLCertVerificationError as exc:
            raise ChannelError(f"{self.label}: {describe_os_error(exc)}", retryable=False) from None
        except OSError as exc:
            raise ChannelError(f"{self.label}: {describe_os_error(exc)}") from None

    def _connect(self) -> socket.socket:
        o = self.options
        port = o.effective_port
        if o.transport == "udp":
            infos = socket.getaddrinfo(o.host, port, type=socket.SOCK_DGRAM)
            family, kind, proto, _, addr = infos[0]
            sock = socket.socket(family, kind, proto)
            sock.settimeout(self.timeout)
            sock.connect(addr)  # a connected UDP socket reports ICMP "port unreachable"
            return sock
        raw = socket.create_connection((o.host, port), timeout=self.timeout)
        if o.transport == "tcp":
            return raw
        try:
            return tls_context(CA_ENV, self.env).wrap_socket(raw, server_hostname=o.host)
        except BaseException:
            raw.close()
            raise
