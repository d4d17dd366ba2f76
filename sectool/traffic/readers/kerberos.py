"""Kerberos 5 KDC messages from captures (RFC 4120): AS-REQ, TGS-REQ, AS-REP, TGS-REP, KRB-ERROR.

Only the cleartext parts are read: message type, client name and realm, error code. The DER is
walked by a small bounded reader (definite lengths, one-byte tags: all Kerberos needs); a
malformed or cut-off message yields what was read before the damage, or ``None`` when not even
the message type was readable. pyasn1 or impacket's Kerberos structures would decode the whole
message into objects (about 1 ms each) and raise on the first truncated field; a capture often
holds only the head of a long AS-REP, which is all sectool needs.
Over TCP a message has a 4-byte length before it (RFC 4120 7.2.2); over UDP it is the datagram.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AS_REP",
    "AS_REQ",
    "ERRORS",
    "FAILED_LOGIN",
    "KRB_ERROR",
    "TGS_REP",
    "TGS_REQ",
    "KrbMessage",
    "looks_like_kerberos",
    "parse",
]

AS_REQ, AS_REP, TGS_REQ, TGS_REP, KRB_ERROR = 10, 11, 12, 13, 30
_APP_TAGS = {0x60 | n: n for n in (AS_REQ, AS_REP, TGS_REQ, TGS_REP, KRB_ERROR)}

#: Error codes (RFC 4120 7.5.9, RFC 6113) -> names, as Zeek's kerberos.log and Wireshark write them.
ERRORS: dict[int, str] = {
    0: "KDC_ERR_NONE",
    1: "KDC_ERR_NAME_EXP",
    2: "KDC_ERR_SERVICE_EXP",
    3: "KDC_ERR_BAD_PVNO",
    6: "KDC_ERR_C_PRINCIPAL_UNKNOWN",
    7: "KDC_ERR_S_PRINCIPAL_UNKNOWN",
    8: "KDC_ERR_PRINCIPAL_NOT_UNIQUE",
    9: "KDC_ERR_NULL_KEY",
    12: "KDC_ERR_POLICY",
    13: "KDC_ERR_BADOPTION",
    14: "KDC_ERR_ETYPE_NOSUPP",
    15: "KDC_ERR_SUMTYPE_NOSUPP",
    16: "KDC_ERR_PADATA_TYPE_NOSUPP",
    18: "KDC_ERR_CLIENT_REVOKED",
    19: "KDC_ERR_SERVICE_REVOKED",
    20: "KDC_ERR_TGT_REVOKED",
    21: "KDC_ERR_CLIENT_NOTYET",
    23: "KDC_ERR_KEY_EXPIRED",
    24: "KDC_ERR_PREAUTH_FAILED",
    25: "KDC_ERR_PREAUTH_REQUIRED",
    31: "KRB_AP_ERR_BAD_INTEGRITY",
    32: "KRB_AP_ERR_TKT_EXPIRED",
    34: "KRB_AP_ERR_REPEAT",
    37: "KRB_AP_ERR_SKEW",
    41: "KRB_AP_ERR_MODIFIED",
    52: "KRB_ERR_RESPONSE_TOO_BIG",
    60: "KRB_ERR_GENERIC",
    68: "KDC_ERR_WRONG_REALM",
}
#: Errors that answer an AS-REQ with a failed login: unknown user, revoked (locked or disabled)
#: account, expired password, wrong password. KDC_ERR_PREAUTH_REQUIRED (25) is not one: it is the
#: normal first step of every Windows logon (the client retries with pre-authentication).
FAILED_LOGIN = frozenset({6, 18, 23, 24})


class KrbMessage(NamedTuple):
    """The cleartext parts of a KDC message (``None`` where absent or unreadable)."""

    msg_type: int
    realm: str | None
    cname: str | None
    error: int | None


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int] | None:
    """(tag, content start, content end) of the element at ``pos``; the end is clipped to
    ``end`` (a cut-off element); ``None`` when even its header is not there."""
    if pos + 2 > end:
        return None
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        return None  # multi-byte tags: not used by Kerberos
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            return None
        size = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    return tag, pos, min(end, pos + size)


def _children(data: bytes, start: int, end: int) -> dict[int, tuple[int, int]]:
    """Context-tagged children ``[n]`` of a SEQUENCE's content: n -> (content start, end)."""
    out: dict[int, tuple[int, int]] = {}
    pos = start
    while pos < end and len(out) < 32:
        element = _tlv(data, pos, end)
        if element is None:
            break
        tag, cstart, cend = element
        if tag & 0xE0 == 0xA0:
            out[tag & 0x1F] = (cstart, cend)
        pos = cend
    return out


def _inner(data: bytes, span: tuple[int, int] | None, want: int) -> tuple[int, int] | None:
    """The content of the single element of tag ``want`` inside an explicit tag's content."""
    if span is None:
        return None
    element = _tlv(data, span[0], span[1])
    if element is None or element[0] != want:
        return None
    return element[1], element[2]


def _integer(data: bytes, span: tuple[int, int] | None) -> int | None:
    inner = _inner(data, span, 0x02)
    if inner is None or not 0 < inner[1] - inner[0] <= 4:
        return None
    return int.from_bytes(data[inner[0] : inner[1]], "big", signed=True)


def _string(data: bytes, span: tuple[int, int] | None) -> str | None:
    inner = _inner(data, span, 0x1B)  # GeneralString (KerberosString)
    if inner is None:
        return None
    return data[inner[0] : inner[1]].decode("utf-8", "backslashreplace")


def _principal(data: bytes, span: tuple[int, int] | None) -> str | None:
    """PrincipalName ::= SEQUENCE { name-type [0], name-string [1] SEQUENCE OF KerberosString }."""
    seq = _inner(data, span, 0x30)
    if seq is None:
        return None
    names = _inner(data, _children(data, *seq).get(1), 0x30)
    if names is None:
        return None
    parts: list[str] = []
    pos = names[0]
    while pos < names[1] and len(parts) < 8:
        element = _tlv(data, pos, names[1])
        if element is None or element[0] != 0x1B:
            break
        parts.append(data[element[1] : element[2]].decode("utf-8", "backslashreplace"))
        pos = element[2]
    return "/".join(parts) or None


def looks_like_kerberos(data: bytes, tcp: bool) -> bool:
    """Does ``data`` start with a KDC message (with TCP's record mark when ``tcp``)?"""
    if tcp:
        if len(data) < 6 or data[0] & 0x80:
            return False
        data = data[4:]
    msg = parse(data)
    return msg is not None


def parse(data: bytes) -> KrbMessage | None:
    """The KDC message at the start of ``data`` (without TCP's record mark), ``None`` when it is
    not one (wrong tag, protocol version not 5, message type disagreeing with the tag)."""
    try:
        return _parse(data)
    except (IndexError, ValueError):  # defensive: every length is clipped above
        return None


def _parse(data: bytes) -> KrbMessage | None:
    outer = _tlv(data, 0, len(data))
    if outer is None or outer[0] not in _APP_TAGS:
        return None
    msg_type = _APP_TAGS[outer[0]]
    seq = _inner(data, (outer[1], outer[2]), 0x30)
    if seq is None:
        return None
    fields = _children(data, *seq)
    if msg_type in (AS_REQ, TGS_REQ):  # KDC-REQ: pvno [1], msg-type [2], padata [3], req-body [4]
        if _integer(data, fields.get(1)) != 5 or _integer(data, fields.get(2)) != msg_type:
            return None
        body = _inner(data, fields.get(4), 0x30)
        parts = _children(data, *body) if body is not None else {}
        return KrbMessage(msg_type, _string(data, parts.get(2)), _principal(data, parts.get(1)), None)
    if _integer(data, fields.get(0)) != 5 or _integer(data, fields.get(1)) != msg_type:
        return None
    if msg_type == KRB_ERROR:  # error-code [6], crealm [7], cname [8], realm [9]
        realm = _string(data, fields.get(7)) or _string(data, fields.get(9))
        return KrbMessage(msg_type, realm, _principal(data, fields.get(8)), _integer(data, fields.get(6)))
    # KDC-REP: crealm [3], cname [4]
    return KrbMessage(msg_type, _string(data, fields.get(3)), _principal(data, fields.get(4)), None)
