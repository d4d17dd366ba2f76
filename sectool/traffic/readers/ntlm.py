"""NTLMSSP messages (MS-NLMP) from captures: who authenticated, from which workstation, with
which NTLM version, and the ECS fields of such a logon.

An NTLMSSP message starts with the signature ``NTLMSSP\\0`` and a 32-bit message type
(1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE). It travels raw inside SMB session setups, DCE/RPC and
LDAP binds, wrapped in SPNEGO's DER (where it still lies contiguous, so a search for the signature
finds it without decoding the DER), or base64-encoded in text protocols (HTTP ``Authorization:
NTLM`` / ``Negotiate``, SMTP ``AUTH NTLM``, IMAP, POP3).

Only AUTHENTICATE carries names. Its fixed part holds *security buffers* (16-bit length, 16-bit
maximum length, 32-bit offset from the start of the message) for the LM and NT responses, the
domain, the user and the workstation; the negotiate flags say whether the names are UTF-16LE
(``NEGOTIATE_UNICODE``) or the OEM code page, which sectool reads as UTF-8 with the odd bytes
escaped rather than guess which Windows code page the client used. Every offset and length is
checked against the bytes present; a buffer that lies (partly) outside them is unreadable and its
field is ``None``. The NT response length tells the version: 24 bytes is NTLMv1 (also with
extended session security, which still rests on the DES-based v1 response), more is NTLMv2
(a 16-byte proof followed by the client's blob), none is an anonymous (null session) or LM-only
logon. An empty user name is anonymous.

Hand-written: impacket's ``NTLMAuthChallengeResponse`` and pyspnego decode whole messages into
objects and raise on the first truncated or inconsistent field, and would add a heavy dependency
for the six fields sectool reads; the parser here is bounded (a few slices) and never raises.
"""

from __future__ import annotations

import binascii
import struct
from typing import Any, NamedTuple

__all__ = [
    "AUTHENTICATE",
    "CHALLENGE",
    "NEGOTIATE",
    "NEGOTIATE_UNICODE",
    "SIGNATURE",
    "Authenticate",
    "Watch",
    "auth_fields",
    "authenticates",
    "from_header",
    "http_outcome",
    "in_text",
    "message_type",
    "parse_authenticate",
    "reply_outcome",
]

SIGNATURE = b"NTLMSSP\x00"
NEGOTIATE, CHALLENGE, AUTHENTICATE = 1, 2, 3
#: Negotiate flag: strings are UTF-16LE (else the OEM code page).
NEGOTIATE_UNICODE = 0x00000001
#: The raw start of an AUTHENTICATE message, and its base64 form when the message starts a token.
_RAW_AUTH = SIGNATURE + b"\x03\x00\x00\x00"
_B64_AUTH = b"TlRMTVNTUAAD"
#: Bytes of a name field read at most (256 UTF-16 characters: far beyond Windows' own limits).
MAX_NAME = 512
#: Messages read from one piece of data at most: hostile data cannot make a packet expensive.
MAX_MESSAGES = 8
#: Base64 characters decoded at most per token (an AUTHENTICATE with a long NTLMv2 blob fits).
_MAX_TOKEN = 16_384
_FIXED = 52  # signature, type, five security buffers (the session key and flags may be absent)
_BUFFER = struct.Struct("<HHI").unpack_from
_U32 = struct.Struct("<I").unpack_from
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
#: HTTP authentication schemes that carry NTLMSSP (``Negotiate`` through SPNEGO).
_SCHEMES = (b"ntlm", b"negotiate")


class Authenticate(NamedTuple):
    """The names and version of an AUTHENTICATE message (``None`` where absent or unreadable)."""

    user: str | None
    domain: str | None
    workstation: str | None
    #: ``"v1"`` (24-byte NT response), ``"v2"`` (longer), ``None`` (no NT response).
    version: str | None
    #: The user name is empty: an anonymous (null session) logon.
    anonymous: bool
    #: Every security buffer lay inside the data given (nothing was cut off).
    complete: bool


def message_type(data: bytes, pos: int = 0) -> int | None:
    """The type of the NTLMSSP message at ``pos``, ``None`` when none starts there."""
    if len(data) < pos + 12 or data[pos : pos + 8] != SIGNATURE:
        return None
    kind: int = _U32(data, pos + 8)[0]
    return kind if kind in (NEGOTIATE, CHALLENGE, AUTHENTICATE) else None


def _text(raw: bytes, unicode: bool) -> str:
    if unicode:
        return raw.decode("utf-16-le", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def parse_authenticate(
    data: bytes, pos: int = 0, end: int | None = None, unicode: bool | None = None
) -> Authenticate | None:
    """The AUTHENTICATE message at ``pos`` of ``data`` (up to ``end``), ``None`` when none is there.

    Args:
        data: bytes holding the message.
        pos: where the message starts (its signature).
        end: where the bytes that may belong to it end (default: the end of ``data``).
        unicode: the encoding of the names when the message carries no negotiate flags (old
            clients send none): ``None`` means UTF-16LE, which every Windows since NT uses.
    """
    stop = len(data) if end is None else min(end, len(data))
    if stop - pos < _FIXED or data[pos : pos + 12] != _RAW_AUTH:
        return None
    buffers = [_BUFFER(data, pos + at) for at in (12, 20, 28, 36, 44)]
    # The flags follow the session key buffer; a message whose first payload byte lies before
    # offset 64 has neither (MS-NLMP 2.2.1.3: NTLM before Windows NT 4 SP4 sent 52 bytes).
    starts = [offset for length, _, offset in buffers if length]
    if stop - pos >= 64 and (not starts or min(starts) >= 64):
        flags = _U32(data, pos + 60)[0]
        wide = bool(flags & NEGOTIATE_UNICODE)
    else:
        wide = True if unicode is None else unicode
    complete = True
    fields: list[bytes | None] = []
    for length, _, offset in buffers:
        begin = pos + offset
        if length == 0:
            fields.append(b"")
        elif offset < _FIXED or begin + length > stop:  # inside the fixed part, or past the data
            fields.append(None)
            complete = False
        else:
            fields.append(data[begin : begin + min(length, MAX_NAME)])
    nt_length = buffers[1][0]
    version = None if nt_length == 0 else ("v1" if nt_length == 24 else "v2")
    names = [None if raw is None else _text(raw, wide) or None for raw in fields[2:]]
    return Authenticate(
        user=names[1],
        domain=names[0],
        workstation=names[2],
        version=version,
        anonymous=fields[3] == b"",
        complete=complete,
    )


def authenticates(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, Authenticate]]:
    """Every AUTHENTICATE message in raw bytes (raw or inside SPNEGO), with its position.

    A message is read up to ``end`` (the end of the SMB message or token holding it).
    """
    stop = len(data) if end is None else min(end, len(data))
    out: list[tuple[int, Authenticate]] = []
    pos = data.find(_RAW_AUTH, start, stop)
    while pos >= 0 and len(out) < MAX_MESSAGES:
        auth = parse_authenticate(data, pos, stop)
        if auth is not None:
            out.append((pos, auth))
        pos = data.find(_RAW_AUTH, pos + 8, stop)
    return out


def _decode(token: bytes) -> bytes | None:
    try:
        return binascii.a2b_base64(token[:_MAX_TOKEN] + b"==")  # lenient about missing padding
    except (binascii.Error, ValueError):
        return None


def _token_end(data: bytes, start: int, stop: int) -> int:
    pos = start
    limit = min(stop, start + _MAX_TOKEN)
    while pos < limit and data[pos] in _B64:
        pos += 1
    return pos


def from_header(value: str | bytes | None) -> Authenticate | None:
    """The AUTHENTICATE message of an HTTP ``Authorization`` value ``NTLM <base64>`` or
    ``Negotiate <base64>`` (SPNEGO around NTLMSSP), ``None`` when it carries none."""
    if not value:
        return None
    raw = value.encode("ascii", "replace") if isinstance(value, str) else value
    scheme, _, token = raw.strip().partition(b" ")
    if scheme.lower() not in _SCHEMES:
        return None
    decoded = _decode(token.strip())
    if not decoded:
        return None
    found = authenticates(decoded)
    return found[0][1] if found else None


def in_text(data: bytes, start: int = 0) -> list[tuple[int, int, Authenticate]]:
    """AUTHENTICATE messages in a text or binary payload: raw ones (DCE/RPC, LDAP) and base64
    tokens that start with one (SMTP ``AUTH NTLM``, IMAP, POP3 continuations).

    Returns:
        (position in ``data``, end of the message's bytes or token in ``data``, message), in order.
    """
    found = [(pos, len(data), auth) for pos, auth in authenticates(data, start)]
    pos = data.find(_B64_AUTH, start)
    while pos >= 0 and len(found) < MAX_MESSAGES:
        end = _token_end(data, pos, len(data))
        decoded = _decode(data[pos:end])
        auth = parse_authenticate(decoded) if decoded else None
        if auth is not None:
            found.append((pos, end, auth))
        pos = data.find(_B64_AUTH, end)
    found.sort(key=lambda item: item[0])
    return found


def auth_fields(auth: Authenticate, outcome: str, reason: str | None = None) -> dict[str, Any]:
    """ECS fields of an NTLM logon (docs/traffic-ingest.md, "NTLM").

    A logon with a definite outcome (``success`` / ``failure``) is an authentication event; one
    whose answer was not seen stays a protocol event with outcome ``unknown``, as a Kerberos
    request without a reply: the brute-force detector counts every authentication event that did
    not succeed as a failed try, and Windows hosts authenticate with NTLM all day over protocols
    whose answer sectool does not read.
    """
    tags: list[str] = []
    if auth.version == "v1":
        tags.append("ntlmv1")  # DES-based responses: crackable, and a downgrade worth flagging
    if auth.anonymous:
        tags.append("anonymous")
    known = outcome in ("success", "failure")
    return {
        "event.category": "authentication" if known else "network",
        "event.type": "start" if known else "protocol",
        "event.action": "ntlm-auth",
        "event.outcome": outcome,
        "event.reason": reason,
        "user.name": auth.user,
        "user.domain": auth.domain,
        "related.user": [auth.user] if auth.user else None,
        "sectool.ntlm.workstation": auth.workstation,
        "sectool.ntlm.version": auth.version,
        "tags": tags or None,
    }


def http_outcome(status: int | None) -> tuple[str, str | None]:
    """Outcome (and reason) of an HTTP logon from the status answering its AUTHENTICATE
    (``None``: no answer seen)."""
    if status is None:
        return "unknown", None
    if status in (401, 407):  # the server (or proxy) asks again: the credentials were refused
        return "failure", f"HTTP {status}"
    if 200 <= status < 400:
        return "success", None
    return "unknown", None


def reply_outcome(service: str | None, line: bytes) -> str | None:
    """Outcome of a mail protocol logon from the server's reply after the AUTHENTICATE:
    ``success``, ``failure``, ``unknown``, or ``None`` when the reply is not the final one."""
    if service == "smtp":  # RFC 4954: 235 accepted, 334 continue, 5xx refused
        if line[:1] == b"3":
            return None
        return {b"2": "success", b"5": "failure"}.get(line[:1], "unknown")
    if service == "pop3":  # RFC 5034: +OK / -ERR, "+ " continues
        if line.startswith(b"+OK"):
            return "success"
        return "failure" if line.startswith(b"-ERR") else None
    if service == "imap":  # RFC 3501: "<tag> OK|NO|BAD", "+ " and "* " are not the answer
        if line[:2] in (b"+ ", b"* "):
            return None
        words = line.split(b" ", 2)
        verdict = words[1].upper() if len(words) > 1 else b""
        return {b"OK": "success", b"NO": "failure", b"BAD": "failure"}.get(verdict, "unknown")
    return "unknown"


class Watch:
    """NTLM logons in the payload of a flow that no SMB or HTTP reader reads: the first packets
    of a flow whose protocol was not identified (DCE/RPC, LDAP, MS-SQL, ...) and the client
    packets of a mail protocol (SMTP ``AUTH NTLM``, IMAP, POP3), where the server's next reply
    (:func:`reply_outcome`) is the outcome; elsewhere the outcome is unknown.

    Each packet is read on its own (a message split over segments is read as far as it goes).
    A retransmitted segment (same sequence number) is not read twice.
    """

    __slots__ = ("pending", "seen")

    def __init__(self) -> None:
        self.pending: list[tuple[int, Authenticate]] = []
        self.seen: list[int] = []

    @staticmethod
    def worth(data: bytes) -> bool:
        """Cheap test: may ``data`` hold an AUTHENTICATE (raw or base64)?"""
        return _RAW_AUTH in data or _B64_AUTH in data

    def client(self, ts: int, seq: int | None, data: bytes) -> None:
        """A client packet that :meth:`worth` found worth reading (``seq``: its TCP sequence
        number, ``None`` over UDP, where every datagram is new)."""
        if seq is not None:
            if seq in self.seen:
                return
            self.seen = [*self.seen[-7:], seq]
        for _, _, auth in in_text(data):
            if len(self.pending) < MAX_MESSAGES:
                self.pending.append((ts, auth))

    def server(self, service: str | None, data: bytes) -> list[tuple[int, dict[str, Any]]]:
        """A server packet: the logons it answers, as ``(time ns, ECS fields)``."""
        if not self.pending:
            return []
        outcome = reply_outcome(service, data[:256])
        if outcome is None:
            return []
        reason = (
            data[:64].split(b"\r", 1)[0].decode("utf-8", "backslashreplace") if outcome == "failure" else None
        )
        out = [(ts, auth_fields(auth, outcome, reason)) for ts, auth in self.pending]
        self.pending = []
        return out

    def close(self) -> list[tuple[int, dict[str, Any]]]:
        """The logons whose answer was not seen (outcome ``unknown``)."""
        out = [(ts, auth_fields(auth, "unknown")) for ts, auth in self.pending]
        self.pending = []
        return out
