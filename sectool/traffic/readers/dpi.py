"""Protocol identification from payload, and the per-flow inspector that extracts what analysts
pivot on (as Zeek's dynamic protocol detection and its ssl/http/ssh/kerberos logs).

Each flow gets an :class:`Inspector` at its first payload packet. Until a protocol is
identified, the first :data:`IDENTIFY_PACKETS` payload packets are inspected: over TCP the
payload of each direction is joined in sequence order into a *head* (the first segment and up to
:data:`IDENTIFY_BYTES` while identifying, :data:`HEAD_BYTES` for an extractor; retransmitted bytes
are dropped, a gap ends the head), over UDP each datagram stands alone.
:func:`identify` looks at the heads:

========  ===============================================================================
ssh       a banner ``SSH-`` from either side
tls       a handshake record (type 22, version 3.x) with a ClientHello / ServerHello
http      a request line ``METHOD SP target SP HTTP/1.x`` / a status line ``HTTP/1.x NNN``
kerberos  AS-REQ, TGS-REQ, AS-REP, TGS-REP or KRB-ERROR (protocol version 5), with TCP's record mark
smb       ``\\xffSMB`` / ``\\xfeSMB`` / ``\\xfdSMB`` after the NetBIOS session header
rdp       TPKT (``03 00``) with an X.224 connection request / confirm
smtp ftp  a ``220`` banner, told apart by the client's first command (``EHLO``/``HELO``, ``USER``...)
pop3      a ``+OK`` banner;  imap: a ``* OK`` banner
dns       (UDP, other ports than 53, 5353, 5355, which always go to the DNS decoder) a message that
          parses whole with one question
========  ===============================================================================

Once identified, the flow's ``network.protocol`` is that protocol, and an extractor reads on:
TLS and SSH until both hellos / banners were seen (at most :data:`EXTRACT_PACKETS` payload
packets), Kerberos over TCP until the first exchange, HTTP every segment that starts a request or
response (a prefix test; at most :data:`HTTP_TRANSACTIONS` per flow), Kerberos over UDP and DNS
every datagram, SMB until a session is set up (its NTLM logons, :mod:`.smb`). SMTP, IMAP, POP3
and FTP flows are watched for a ClientHello from the client (after ``STARTTLS``), whose handshake
is then read as TLS's, and for NTLM logons (:class:`.ntlm.Watch`), as are the client packets of
flows not (yet) identified. The cost per flow is bounded; nothing here raises on hostile bytes.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from sectool.traffic.flows import DPI_DONE, Flow
from sectool.traffic.readers import http, kerberos, ntlm, smb, tls
from sectool.traffic.readers.dns import parse_message

__all__ = [
    "EXTRACT_PACKETS",
    "HEAD_BYTES",
    "HTTP_TRANSACTIONS",
    "IDENTIFY_BYTES",
    "IDENTIFY_PACKETS",
    "Inspector",
    "identify",
]

#: Payload packets inspected to identify a flow's protocol.
IDENTIFY_PACKETS = 8
#: Payload packets an extractor reads after identification (TLS, SSH, Kerberos over TCP).
EXTRACT_PACKETS = 24
#: Bytes kept of the start of each direction of a TCP flow (a ClientHello fits).
HEAD_BYTES = 16_384 + 5
#: Bytes kept of each direction while the protocol is not yet identified (beyond the first segment).
IDENTIFY_BYTES = 4_096
#: HTTP transactions read per flow; requests waiting for their response.
HTTP_TRANSACTIONS = 1_000
_HTTP_PENDING = 32
_MOD = 0xFFFFFFFF
_SMB = (b"\xffSMB", b"\xfeSMB", b"\xfdSMB")
_SMTP_COMMANDS = (b"EHLO", b"HELO", b"ehlo", b"helo")
_FTP_COMMANDS = (b"USER", b"AUTH", b"FEAT", b"SYST", b"OPTS", b"user", b"auth", b"feat", b"syst", b"opts")

#: Receives (flow, timestamp ns, dataset, sequence number within the flow, fields).
Emit = Callable[[Flow, int, str, int, dict[str, Any]], None]
#: Receives DNS datagrams of flows identified as DNS: (flow, from_orig, timestamp ns, payload).
DnsSink = Callable[[Flow, bool, int, bytes], None]


def _dns(data: bytes) -> bool:
    try:
        msg = parse_message(data)
    except (ValueError, IndexError, struct.error):
        return False
    flags = int.from_bytes(data[2:4], "big")
    return bool(msg.qname) and flags & 0x7800 == 0 and int.from_bytes(data[4:6], "big") == 1


def identify(tcp: bool, orig: bytes, resp: bytes) -> str | None:
    """The application protocol the heads of a flow show, ``None`` when none (yet)."""
    if (orig and kerberos.looks_like_kerberos(orig, tcp)) or (
        resp and kerberos.looks_like_kerberos(resp, tcp)
    ):
        return "kerberos"
    if not tcp:
        return "dns" if (orig and _dns(orig)) or (resp and _dns(resp)) else None
    if orig.startswith(b"SSH-") or resp.startswith(b"SSH-"):
        return "ssh"
    if tls.is_handshake(orig, 1) or tls.is_handshake(resp, 2):
        return "tls"
    if (orig and http.parse_request(orig) is not None) or (resp and http.parse_response(resp) is not None):
        return "http"
    for head in (orig, resp):
        if len(head) >= 8 and head[0] == 0 and head[4:8] in _SMB:
            return "smb"
        if len(head) >= 7 and head[:2] == b"\x03\x00" and head[5] & 0xF0 in (0xE0, 0xD0):
            return "rdp"
    if resp.startswith(b"+OK"):
        return "pop3"
    if resp.startswith(b"* OK"):
        return "imap"
    if resp.startswith(b"220"):
        if orig.startswith(_SMTP_COMMANDS):
            return "smtp"
        if orig.startswith(_FTP_COMMANDS):
            return "ftp"
        banner = resp[:256].upper()
        if b"SMTP" in banner:
            return "smtp"
        if b"FTP" in banner:
            return "ftp"
    return None


class Inspector:
    """Payload inspection of one flow (module docstring).

    Args:
        tcp: the flow's transport is TCP (heads are joined in sequence order).
        emit: receives the protocol records.
        dns: receives the datagrams of a flow identified as DNS.
    """

    __slots__ = ("_dns", "_emit", "count", "extractor", "heads", "next", "ntlm", "open", "packets", "tcp")

    def __init__(self, tcp: bool, emit: Emit, dns: DnsSink) -> None:
        self.tcp = tcp
        self._emit = emit
        self._dns = dns
        self.heads = [b"", b""]  # [responder, originator]
        self.next: list[int | None] = [None, None]
        self.open = [True, True]
        self.packets = 0
        self.count = 0  # records emitted: part of their document ids
        self.extractor: _Extractor | None = None
        self.ntlm: ntlm.Watch | None = None  # NTLM logons in a protocol no extractor reads

    def emit(self, flow: Flow, ts: int, dataset: str, fields: dict[str, Any]) -> None:
        self._emit(flow, ts, dataset, self.count, fields)
        self.count += 1

    def emit_ntlm(self, flow: Flow, logons: list[tuple[int, dict[str, Any]]]) -> None:
        for ts, fields in logons:
            self.emit(flow, ts, "sectool.ntlm", fields)

    def watch(self) -> ntlm.Watch:
        if self.ntlm is None:
            self.ntlm = ntlm.Watch()
        return self.ntlm

    def _append(self, side: int, seq: int, data: bytes) -> None:
        if not self.open[side]:
            return
        nxt = self.next[side]
        head = self.heads[side]
        if nxt is not None:
            diff = (seq - nxt) & _MOD
            if diff > 0x7FFFFFFF:  # starts before what we have: a retransmission or overlap
                skip = (nxt - seq) & _MOD
                if skip >= len(data):
                    return
                data = data[skip:]
            elif diff:
                self.open[side] = False  # a segment is missing: the head ends here
                return
        # Until a protocol is identified only IDENTIFY_BYTES are kept (the first segment whole):
        # memory per flow stays small while many flows are still being identified.
        cap = HEAD_BYTES if self.extractor is not None or nxt is None else IDENTIFY_BYTES
        self.heads[side] = (head + data)[:cap]
        self.next[side] = (seq + len(data)) & _MOD if nxt is None else (nxt + len(data)) & _MOD
        if len(self.heads[side]) >= cap:
            self.open[side] = False

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> None:
        """One payload packet (``seq``: the TCP sequence number, 0 for UDP)."""
        self.packets += 1
        side = 1 if from_orig else 0
        extractor = self.extractor
        if not self.tcp:
            self.heads[side] = data
        elif extractor is None or extractor.heads:
            self._append(side, seq, data)
        if extractor is None:
            service = identify(self.tcp, self.heads[1], self.heads[0])
            if service is None:
                if from_orig and ntlm.Watch.worth(data):  # DCE/RPC, LDAP, ...: not identified
                    self.watch().client(ts, seq if self.tcp else None, data)
                if self.packets >= IDENTIFY_PACKETS:
                    self.finish(flow)
                return
            flow.service = service
            factory = _EXTRACTORS.get(service)
            if factory is None:
                self.finish(flow)
                return
            extractor = self.extractor = factory(self)
            self.packets = 0
            done = extractor.first(flow, from_orig, ts, seq, data)
            if self.extractor is not None and not self.extractor.heads:
                self.heads = [b"", b""]  # read packet by packet from now on: let go of the heads
            if done:
                self.finish(flow)
            return
        if extractor.feed(flow, from_orig, ts, seq, data):
            self.finish(flow)

    def finish(self, flow: Flow) -> None:
        """End of inspection (done, or the flow ended): partial records are emitted."""
        if self.extractor is not None:
            self.extractor.close(flow)
            self.extractor = None
        if self.ntlm is not None:
            self.emit_ntlm(flow, self.ntlm.close())
            self.ntlm = None
        flow.dpi = DPI_DONE


class _Extractor:
    """Reads one protocol's records; ``first`` gets the packet that identified it."""

    #: Does it read the joined heads (else each packet on its own)?
    heads = True

    def __init__(self, owner: Inspector) -> None:
        self.owner = owner

    def first(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        return self.feed(flow, from_orig, ts, seq, data)

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        """Returns ``True`` when nothing more is to be read."""
        raise NotImplementedError

    def close(self, flow: Flow) -> None:
        """Emit what was read but not yet emitted."""


class _Ssh(_Extractor):
    def __init__(self, owner: Inspector) -> None:
        super().__init__(owner)
        self.ts: int | None = None
        self.banners: list[str | None] = [None, None]

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        if self.ts is None:
            self.ts = ts  # the exchange starts with the packet that identified it
        for side in (0, 1):
            if self.banners[side] is None:
                self.banners[side] = _banner(self.owner.heads[side])
        return all(self.banners) or self.owner.packets >= EXTRACT_PACKETS

    def close(self, flow: Flow) -> None:
        if self.ts is not None and any(self.banners):
            fields = {"sectool.ssh.client": self.banners[1], "sectool.ssh.server": self.banners[0]}
            self.owner.emit(flow, self.ts, "sectool.ssh", fields)


def _banner(head: bytes) -> str | None:
    """The SSH identification line (RFC 4253 4.2; other lines may come before it)."""
    pos = 0
    for _ in range(8):
        end = head.find(b"\n", pos, pos + 512)
        if end < 0:
            return None
        line = head[pos:end].rstrip(b"\r")
        if line.startswith(b"SSH-"):
            return line[:255].decode("utf-8", "backslashreplace")
        pos = end + 1
    return None


class _Tls(_Extractor):
    def __init__(self, owner: Inspector) -> None:
        super().__init__(owner)
        self.ts: int | None = None
        self.client: tls.ClientHello | None = None
        self.server: tls.ServerHello | None = None
        self.tried = [False, False]

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        owner = self.owner
        if self.ts is None:
            self.ts = ts
        for side in (0, 1):
            head = owner.heads[side]
            if self.tried[side] or not head:
                continue
            size = tls.record_length(head)
            if size is not None and len(head) < size and owner.open[side]:
                continue  # wait for the rest of the record
            self.tried[side] = True
            if side:
                self.client = tls.parse_client_hello(head)
            else:
                self.server = tls.parse_server_hello(head)
        return all(self.tried) or owner.packets >= EXTRACT_PACKETS

    def close(self, flow: Flow) -> None:
        if self.ts is None or (self.client is None and self.server is None):
            return
        fields: dict[str, Any] = {}
        client, server = self.client, self.server
        if client is not None:
            fields["tls.client.server_name"] = client.server_name
            fields["tls.client.ja3"] = tls.ja3(client)[1]
            fields["tls.client.ja4"] = tls.ja4(client)
            if client.server_name:
                fields["related.hosts"] = [client.server_name]
        if server is not None:
            version = tls.version_name(server.selected_version or server.version)
            fields["tls.version"] = version
            fields["tls.version_protocol"] = "tls" if version else None
            fields["tls.cipher"] = tls.CIPHERS.get(server.cipher, f"0x{server.cipher:04x}")
            fields["tls.curve"] = tls.GROUPS.get(server.group) if server.group is not None else None
            fields["tls.next_protocol"] = server.alpn
            fields["tls.server.ja3s"] = tls.ja3s(server)[1]
        self.owner.emit(flow, self.ts, "sectool.tls", fields)


class _Http(_Extractor):
    heads = False

    def __init__(self, owner: Inspector) -> None:
        super().__init__(owner)
        # (time, request fields, the NTLM AUTHENTICATE of its Authorization header)
        self.pending: deque[tuple[int, dict[str, Any], ntlm.Authenticate | None]] = deque()
        self.seen = 0
        # Sequence numbers of recent message starts per side: a retransmitted one is not new.
        self.starts: list[deque[int]] = [deque(maxlen=8), deque(maxlen=8)]

    def first(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        # The heads hold what came before (normally just this packet): read each from its start.
        owner = self.owner
        done = False
        for side in (1, 0):
            if owner.heads[side]:
                start = ((owner.next[side] or 0) - len(owner.heads[side])) & _MOD if owner.tcp else seq
                done = self.feed(flow, bool(side), ts, start, owner.heads[side]) or done
        return done

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        side = 1 if from_orig else 0
        if self.owner.tcp and seq in self.starts[side]:
            return False  # a retransmitted message start
        if from_orig:
            if not http.looks_like_request(data):
                return False
            req = http.parse_request(data)
            if req is None:
                return False
            self.starts[side].append(seq)
            if len(self.pending) >= _HTTP_PENDING:
                self._emit(flow, *self.pending.popleft())
            auth = ntlm.from_header(
                req.headers.get("authorization") or req.headers.get("proxy-authorization")
            )
            self.pending.append((ts, http.request_fields(req), auth))
            return False
        if not data.startswith(b"HTTP/"):
            return False
        resp = http.parse_response(data)
        if resp is None or 100 <= resp.status < 200 or not self.pending:
            return False  # interim responses, or a response to a request not seen
        self.starts[side].append(seq)
        ts0, fields, auth = self.pending.popleft()
        self._emit(flow, ts0, {**fields, **http.response_fields(resp)}, auth)
        return self.seen >= HTTP_TRANSACTIONS

    def _emit(self, flow: Flow, ts: int, fields: dict[str, Any], auth: ntlm.Authenticate | None) -> None:
        self.seen += 1
        self.owner.emit(flow, ts, "sectool.http", fields)
        if auth is not None:  # the answer to an NTLM AUTHENTICATE is the logon's outcome
            outcome = ntlm.http_outcome(fields.get("http.response.status_code"))
            self.owner.emit(flow, ts, "sectool.ntlm", ntlm.auth_fields(auth, *outcome))

    def close(self, flow: Flow) -> None:
        while self.pending:
            self._emit(flow, *self.pending.popleft())


class _Kerberos(_Extractor):
    def __init__(self, owner: Inspector) -> None:
        super().__init__(owner)
        self.requests: deque[tuple[int, kerberos.KrbMessage]] = deque()
        self.tried = [False, False]
        self.ts = 0

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        owner = self.owner
        self.ts = ts
        if not owner.tcp:
            self._message(flow, ts, kerberos.parse(data))
            return False
        for side in (1, 0):  # the request first
            head = owner.heads[side]
            if self.tried[side] or len(head) < 4:
                continue
            if len(head) < 4 + int.from_bytes(head[:4], "big") and owner.open[side]:
                continue  # wait for the whole message (or the end of the head)
            self.tried[side] = True
            self._message(flow, ts, kerberos.parse(head[4:]))
        return all(self.tried) or owner.packets >= EXTRACT_PACKETS

    def _message(self, flow: Flow, ts: int, msg: kerberos.KrbMessage | None) -> None:
        if msg is None:
            return
        if msg.msg_type in (kerberos.AS_REQ, kerberos.TGS_REQ):
            if len(self.requests) >= _HTTP_PENDING:
                self._emit(flow, *self.requests.popleft(), None)
            self.requests.append((ts, msg))
            return
        if self.requests:
            ts, request = self.requests.popleft()
            self._emit(flow, ts, request, msg)
        else:
            self._emit(flow, ts, None, msg)

    def _emit(
        self, flow: Flow, ts: int, request: kerberos.KrbMessage | None, reply: kerberos.KrbMessage | None
    ) -> None:
        as_exchange = (request is not None and request.msg_type == kerberos.AS_REQ) or (
            reply is not None and reply.msg_type == kerberos.AS_REP
        )
        name = (request.cname if request else None) or (reply.cname if reply else None)
        realm = (request.realm if request else None) or (reply.realm if reply else None)
        fields: dict[str, Any] = {
            "event.action": "kerberos-as-req" if as_exchange else "kerberos-tgs-req",
            "sectool.kerberos.request_type": "AS" if as_exchange else "TGS",
            "user.name": name,
            "user.domain": realm,
            "related.user": [name] if name else None,
        }
        if reply is not None:
            error = reply.error if reply.msg_type == kerberos.KRB_ERROR else None
            fields["event.outcome"] = "success" if error is None else "failure"
            if error is not None:
                fields["sectool.kerberos.error"] = kerberos.ERRORS.get(error, str(error))
            if as_exchange and (error is None or error in kerberos.FAILED_LOGIN):
                # A login with a definite outcome: an authentication event (docs/traffic-ingest.md).
                fields["event.category"] = "authentication"
                fields["event.type"] = "start"
        self.owner.emit(flow, ts, "sectool.kerberos", fields)

    def close(self, flow: Flow) -> None:
        owner = self.owner
        if owner.tcp:
            for side in (1, 0):
                head = owner.heads[side]
                if not self.tried[side] and len(head) > 4:
                    self.tried[side] = True
                    self._message(flow, self.ts, kerberos.parse(head[4:]))
        while self.requests:
            self._emit(flow, *self.requests.popleft(), None)


class _StartTls(_Extractor):
    """A mail or file transfer protocol that may switch to TLS (``STARTTLS``, ``AUTH TLS``): the
    first segment from the client that starts a ClientHello begins a TLS handshake (as Zeek)."""

    heads = False

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        owner = self.owner
        if not (from_orig and tls.is_handshake(data, 1)):
            if from_orig and ntlm.Watch.worth(data):  # AUTH NTLM (SMTP), AUTHENTICATE NTLM (IMAP)
                owner.watch().client(ts, seq, data)
            elif not from_orig and owner.ntlm is not None:
                owner.emit_ntlm(flow, owner.ntlm.server(flow.service, data))
            return owner.packets >= EXTRACT_PACKETS
        owner.heads = [b"", data[:HEAD_BYTES]]
        owner.next = [None, (seq + len(data)) & _MOD]
        owner.open = [True, len(data) < HEAD_BYTES]
        owner.packets = 0
        handshake = owner.extractor = _Tls(owner)
        return handshake.feed(flow, from_orig, ts, seq, data)


class _Smb(_Extractor):
    """NTLM logons in SMB session setups (:mod:`.smb`), read from the joined heads until a
    session is set up, the heads end, or :data:`EXTRACT_PACKETS` packets pass without one."""

    def __init__(self, owner: Inspector) -> None:
        super().__init__(owner)
        self.logons = smb.Logons()
        self.ts = 0

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        owner = self.owner
        self.ts = ts
        owner.emit_ntlm(flow, self.logons.feed(owner.heads, owner.open, ts))
        if self.logons.active:
            owner.packets = 0  # a logon is under way: the packet budget starts again
        return self.logons.done or owner.packets >= EXTRACT_PACKETS or not any(owner.open)

    def close(self, flow: Flow) -> None:
        owner = self.owner
        owner.emit_ntlm(flow, self.logons.feed(owner.heads, owner.open, self.ts, final=True))
        owner.emit_ntlm(flow, self.logons.close())


class _Dns(_Extractor):
    heads = False

    def feed(self, flow: Flow, from_orig: bool, ts: int, seq: int, data: bytes) -> bool:
        self.owner._dns(flow, from_orig, ts, data)
        return False


_EXTRACTORS: dict[str, Callable[[Inspector], _Extractor]] = {
    "ssh": _Ssh,
    "tls": _Tls,
    "http": _Http,
    "kerberos": _Kerberos,
    "dns": _Dns,
    "smb": _Smb,
    "smtp": _StartTls,
    "imap": _StartTls,
    "pop3": _StartTls,
    "ftp": _StartTls,
}
