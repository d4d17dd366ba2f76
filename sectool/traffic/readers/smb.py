"""SMB1 and SMB2 session setups from captures: the NTLM logon a client sends and the status the
server answers with (as Zeek's ntlm.log for SMB).

The stream of each direction (the inspector's joined *head*, :mod:`.dpi`) is cut into NetBIOS
session messages (a type byte and a 24-bit length, as SMB over TCP port 445 and NetBIOS port 139
frame them); an SMB message inside starts with ``\\xffSMB`` (SMB1) or ``\\xfeSMB`` (SMB2/3,
compounded messages followed through ``NextCommand``). Encrypted (``\\xfdSMB``) and compressed
(``\\xfcSMB``) messages are skipped. A session setup request's security blob (raw NTLMSSP or
SPNEGO around it) is searched for an AUTHENTICATE (:mod:`.ntlm`); the response with the same
message id gives the outcome: status 0 is a success, an error status (severity ``0xC``) a
failure named by :data:`STATUS`, ``STATUS_MORE_PROCESSING_REQUIRED`` a step in between. SMB1
without NT status codes answers with a DOS error class and code instead.
Every length and offset is checked against the message; nothing here raises on hostile bytes.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from sectool.traffic.readers import ntlm

__all__ = ["STATUS", "Logons", "Setup", "session_setups", "status_name"]

_SMB1, _SMB2 = b"\xffSMB", b"\xfeSMB"
_SESSION_SETUP_ANDX = 0x73
_SESSION_SETUP = 0x0001
_MORE_PROCESSING = 0xC0000016
_NT_STATUS_FLAG = 0x4000  # SMB1 Flags2: the status field is an NT status
_CHAIN = 8  # compounded SMB2 messages read per NetBIOS message at most
_PENDING = 32  # logons waiting for their answer per connection
_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_U64 = struct.Struct("<Q").unpack_from

#: NT status codes (MS-ERREF 2.3.1) a session setup may answer with -> names, as Zeek and
#: Wireshark write them.
STATUS: dict[int, str] = {
    0x00000000: "STATUS_SUCCESS",
    0xC000000D: "STATUS_INVALID_PARAMETER",
    0xC0000016: "STATUS_MORE_PROCESSING_REQUIRED",
    0xC0000022: "STATUS_ACCESS_DENIED",
    0xC000005E: "STATUS_NO_LOGON_SERVERS",
    0xC0000064: "STATUS_NO_SUCH_USER",
    0xC000006A: "STATUS_WRONG_PASSWORD",
    0xC000006D: "STATUS_LOGON_FAILURE",
    0xC000006E: "STATUS_ACCOUNT_RESTRICTION",
    0xC000006F: "STATUS_INVALID_LOGON_HOURS",
    0xC0000070: "STATUS_INVALID_WORKSTATION",
    0xC0000071: "STATUS_PASSWORD_EXPIRED",
    0xC0000072: "STATUS_ACCOUNT_DISABLED",
    0xC00000BB: "STATUS_NOT_SUPPORTED",
    0xC000015B: "STATUS_LOGON_TYPE_NOT_GRANTED",
    0xC000018D: "STATUS_TRUSTED_RELATIONSHIP_FAILURE",
    0xC0000193: "STATUS_ACCOUNT_EXPIRED",
    0xC0000203: "STATUS_USER_SESSION_DELETED",
    0xC0000224: "STATUS_PASSWORD_MUST_CHANGE",
    0xC0000234: "STATUS_ACCOUNT_LOCKED_OUT",
    0xC000035C: "STATUS_NETWORK_SESSION_EXPIRED",
    0xC0000388: "STATUS_DOWNGRADE_DETECTED",
}


def status_name(status: int) -> str:
    """The name of an NT status, its hex value when sectool knows no name."""
    return STATUS.get(status, f"0x{status:08X}")


class Setup(NamedTuple):
    """A session setup message: request or response, the key pairing them, the response's
    status (``None`` for a request) or failure reason, and where its security blob lies."""

    response: bool
    key: tuple[int, int]
    status: int | None
    reason: str | None
    start: int
    end: int


def _blob(data: bytes, hdr: int, end: int, at: int) -> tuple[int, int]:
    """The SMB2 security buffer whose (offset, length) pair is at ``at``; the whole body when
    the pair points outside the message."""
    if at + 4 > end:
        return hdr + 64, end
    offset, length = _U16(data, at)[0], _U16(data, at + 2)[0]
    if offset < 64 or hdr + offset >= end:
        return hdr + 64, end
    return hdr + offset, min(end, hdr + offset + length)


def _smb2(data: bytes, start: int, end: int) -> list[Setup]:
    out: list[Setup] = []
    hdr = start
    for _ in range(_CHAIN):
        if hdr + 64 > end or data[hdr : hdr + 4] != _SMB2:
            break
        nxt = _U32(data, hdr + 20)[0]
        stop = end if nxt == 0 else min(end, hdr + nxt)
        if _U16(data, hdr + 12)[0] == _SESSION_SETUP:
            key = (2, _U64(data, hdr + 24)[0])
            if _U32(data, hdr + 16)[0] & 1:  # SMB2_FLAGS_SERVER_TO_REDIR: a response
                status = _U32(data, hdr + 8)[0]
                reason = status_name(status) if status else None
                out.append(Setup(True, key, status, reason, *_blob(data, hdr, stop, hdr + 68)))
            else:
                out.append(Setup(False, key, None, None, *_blob(data, hdr, stop, hdr + 76)))
        if nxt < 64 or nxt % 8:  # the last one (0), or a chain offset that cannot be right
            break
        hdr += nxt
    return out


def _smb1(data: bytes, start: int, end: int) -> list[Setup]:
    if start + 33 > end or data[start + 4] != _SESSION_SETUP_ANDX:
        return []
    key = (1, _U16(data, start + 30)[0])  # the multiplex id
    if not data[start + 9] & 0x80:  # SMB_FLAGS_REPLY unset: a request
        return [Setup(False, key, None, None, start + 32, end)]
    if _U16(data, start + 10)[0] & _NT_STATUS_FLAG:
        status = _U32(data, start + 5)[0]
        reason = status_name(status) if status else None
    else:  # a DOS error: class (0 = success) and code
        cls, code = data[start + 5], _U16(data, start + 7)[0]
        status = 0 if cls == 0 else 0xC0000000 | (cls << 16) | code
        reason = None if cls == 0 else f"SMB1 error class {cls} code {code}"
    return [Setup(True, key, status, reason, start + 32, end)]


def session_setups(data: bytes, start: int, end: int) -> list[Setup]:
    """The session setup messages in the SMB message at ``data[start:end]``."""
    magic = data[start : start + 4]
    if magic == _SMB2:
        return _smb2(data, start, end)
    if magic == _SMB1:
        return _smb1(data, start, end)
    return []


class Logons:
    """The NTLM logons of one SMB connection, read from the joined heads of its two directions.

    :meth:`feed` is called after each payload packet with the heads (``[server, client]``) and
    whether each may still grow; it returns the logons whose answer came, as
    ``(time ns, ECS fields)``. :meth:`close` returns those still waiting (outcome unknown).
    """

    def __init__(self) -> None:
        self.pos = [0, 0]
        self.pending: dict[tuple[int, int], tuple[int, ntlm.Authenticate]] = {}
        #: A session was set up (then later session setups are rare: reading stops).
        self.established = False
        #: Whether the last packet fed held a session setup.
        self.active = False

    def feed(self, heads: list[bytes], growing: list[bool], ts: int, final: bool = False) -> list[Any]:
        """Reads the whole NetBIOS messages added to the heads (partial ones too when ``final``)."""
        out: list[tuple[int, dict[str, Any]]] = []
        self.active = False
        for side in (1, 0):  # requests before the responses to them
            head = heads[side]
            pos = self.pos[side]
            while pos + 4 <= len(head):
                kind = head[pos]
                size = int.from_bytes(head[pos + 1 : pos + 4], "big")
                if kind != 0:
                    size &= 0x1FFFF  # NetBIOS session service: 17-bit length (request, keepalive)
                end = pos + 4 + size
                if end > len(head) and growing[side] and not final:
                    break  # wait for the rest of the message
                if kind == 0:
                    self._message(head, pos + 4, min(end, len(head)), ts, out)
                pos = end
            self.pos[side] = pos  # past the end when a cut-off message was read as far as it went
        return out

    def _message(self, data: bytes, start: int, end: int, ts: int, out: list[Any]) -> None:
        for setup in session_setups(data, start, end):
            self.active = True
            if not setup.response:
                found = ntlm.authenticates(data, setup.start, setup.end)
                if found and len(self.pending) < _PENDING:
                    self.pending[setup.key] = (ts, found[0][1])
                continue
            status = setup.status
            if status is None or status == _MORE_PROCESSING or (status and status >> 30 != 3):
                continue  # not the final answer (or only a warning): the logon goes on
            if status == 0:
                self.established = True
            waiting = self.pending.pop(setup.key, None)
            if waiting is not None:
                when, auth = waiting
                outcome = "success" if status == 0 else "failure"
                out.append((when, ntlm.auth_fields(auth, outcome, setup.reason)))

    @property
    def done(self) -> bool:
        """A session was set up and no logon waits for its answer."""
        return self.established and not self.pending

    def close(self) -> list[tuple[int, dict[str, Any]]]:
        """The logons whose answer was not seen (outcome ``unknown``)."""
        out = [(when, ntlm.auth_fields(auth, "unknown")) for when, auth in self.pending.values()]
        self.pending.clear()
        return out
