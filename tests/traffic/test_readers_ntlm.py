"""NTLM logons from captures: AUTHENTICATE messages parsed (hostile ones included), found in
SMB2/SMB1 session setups (raw and SPNEGO-wrapped), HTTP headers, mail protocols and unidentified
flows, with the server's answer as the outcome; checked against tshark and the brute-force
detector."""

from __future__ import annotations

import base64
import json
import random
import struct
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sectool.traffic import ecs
from sectool.traffic.readers import ntlm, read_events, smb

T0 = Decimal("1772530000")
MACS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
CLIENT, SERVER = "10.2.0.5", "10.2.0.9"


def _write(path: Path, packets: list[Any]) -> Path:
    from scapy.utils import wrpcap

    wrpcap(str(path), sorted(packets, key=lambda p: p.time))
    return path


def _by(events: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event.dataset"] == dataset]


# ----------------------------------------------------------------------------- message builders
UNICODE, OEM = 0x00000001, 0x00000002
FLAGS = 0xE2888235  # what Windows 10 sends: Unicode, NTLM, extended session security, 128, 56...


def negotiate() -> bytes:
    return ntlm.SIGNATURE + struct.pack("<II", 1, FLAGS) + bytes(16) + b"\x0a\x00\x63\x45\x00\x00\x00\x0f"


def challenge(flags: int = FLAGS) -> bytes:
    target = "CLINIC".encode("utf-16-le")
    info = struct.pack("<HH", 2, len(target)) + target + struct.pack("<HH", 0, 0)
    head = (
        ntlm.SIGNATURE
        + struct.pack("<IHHI", 2, len(target), len(target), 56)
        + struct.pack("<I", flags)
        + b"\x01\x23\x45\x67\x89\xab\xcd\xef"
        + bytes(8)
        + struct.pack("<HHI", len(info), len(info), 56 + len(target))
        + b"\x0a\x00\x63\x45\x00\x00\x00\x0f"
    )
    return head + target + info


def nt_v2() -> bytes:
    blob = b"\x01\x01" + bytes(6) + struct.pack("<Q", 133_500_000_000_000_000) + b"\x11" * 8 + bytes(4)
    return b"\xaa" * 16 + blob + bytes(4) + bytes(4)  # NTProofStr, blob, MsvAvEOL, padding


def authenticate(
    user: str = "alice",
    domain: str = "CLINIC",
    workstation: str = "WS-17",
    nt: bytes | None = None,
    flags: int = FLAGS,
    lm: bytes = bytes(24),
    fixed: int = 88,
) -> bytes:
    """An AUTHENTICATE message; ``fixed`` is where the payload starts (88: with version and MIC,
    64: with flags only, 52: an old message without session key and flags)."""
    wide = flags & UNICODE
    enc = "utf-16-le" if wide else "ascii"
    nt = nt_v2() if nt is None else nt
    parts = [
        domain.encode(enc),
        user.encode(enc),
        workstation.encode(enc),
        lm,
        nt,
        b"" if fixed == 52 else bytes(16),
    ]
    offsets, pos = [], fixed
    for part in parts:
        offsets.append(pos)
        pos += len(part)
    buf = {
        i: struct.pack("<HHI", len(p), len(p), o) for i, (p, o) in enumerate(zip(parts, offsets, strict=True))
    }
    fields = buf[3] + buf[4] + buf[0] + buf[1] + buf[2]  # LM, NT, domain, user, workstation
    head = ntlm.SIGNATURE + struct.pack("<I", 3) + fields
    if fixed >= 64:
        head += buf[5] + struct.pack("<I", flags)
    if fixed >= 88:
        head += b"\x0a\x00\x63\x45\x00\x00\x00\x0f" + bytes(16)
    return head + b"".join(parts)


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    size = bytes([n]) if n < 0x80 else bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + size + content


NTLMSSP_OID = _der(0x06, bytes.fromhex("2b06010401823702020a"))


def spnego_init(token: bytes) -> bytes:
    """GSS-API InitialContextToken with a SPNEGO NegTokenInit carrying ``token``."""
    init = _der(0x30, _der(0xA0, _der(0x30, NTLMSSP_OID)) + _der(0xA2, _der(0x04, token)))
    return _der(0x60, _der(0x06, bytes.fromhex("2b0601050502")) + _der(0xA0, init))


def spnego_resp(token: bytes) -> bytes:
    """A SPNEGO NegTokenResp carrying ``token`` (the AUTHENTICATE, the CHALLENGE)."""
    return _der(0xA1, _der(0x30, _der(0xA2, _der(0x04, token))))


# ----------------------------------------------------------------------------------- parser table
V1 = bytes(range(24))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (authenticate(), ("alice", "CLINIC", "WS-17", "v2", False, True)),
        (authenticate("Bo Ærø", "SUNDHED"), ("Bo Ærø", "SUNDHED", "WS-17", "v2", False, True)),
        (authenticate(nt=V1), ("alice", "CLINIC", "WS-17", "v1", False, True)),
        (authenticate(flags=OEM, nt=V1), ("alice", "CLINIC", "WS-17", "v1", False, True)),
        (authenticate(fixed=64), ("alice", "CLINIC", "WS-17", "v2", False, True)),
        # an old client: no flags, names in UTF-16 (the default)
        (authenticate(fixed=52, nt=V1), ("alice", "CLINIC", "WS-17", "v1", False, True)),
        # anonymous: empty user and NT response (LM response one zero byte)
        (authenticate("", "", "WS-17", nt=b"", lm=b"\x00"), (None, None, "WS-17", None, True, True)),
        # cut off inside the payload: the names that are there, the rest unreadable (the
        # version comes from the NT response's length in the fixed part)
        (authenticate()[:110], ("alice", "CLINIC", None, "v2", False, False)),
        (authenticate()[:88], (None, None, None, "v2", False, False)),
    ],
)
def test_parse_authenticate(message: bytes, expected: tuple[Any, ...]) -> None:
    auth = ntlm.parse_authenticate(message)
    assert auth is not None
    assert (auth.user, auth.domain, auth.workstation, auth.version, auth.anonymous, auth.complete) == expected


def _patched(message: bytes, at: int, fmt: str, *values: int) -> bytes:
    data = bytearray(message)
    struct.pack_into(fmt, data, at, *values)
    return bytes(data)


@pytest.mark.parametrize(
    ("message", "user", "domain"),
    [
        (_patched(authenticate(), 36, "<HHI", 10, 10, 0xFFFFFFF0), None, "CLINIC"),  # user offset far past
        (
            _patched(authenticate(), 36, "<HHI", 0xFFFF, 0xFFFF, 88),
            None,
            "CLINIC",
        ),  # user length past the end
        (_patched(authenticate(), 28, "<HHI", 8, 8, 4), "alice", None),  # domain inside the fixed part
        (_patched(authenticate(), 36, "<HHI", 3, 3, 100), "a\\x6c", "CLINIC"),  # odd UTF-16 length
    ],
)
def test_hostile_security_buffers(message: bytes, user: str | None, domain: str | None) -> None:
    auth = ntlm.parse_authenticate(message)
    assert auth is not None
    assert (auth.user, auth.domain, auth.complete) == (
        user,
        domain,
        not (user is None or domain is None),
    )


def test_long_names_are_clipped() -> None:
    auth = ntlm.parse_authenticate(authenticate("u" * 2000))
    assert auth is not None
    assert auth.user == "u" * (ntlm.MAX_NAME // 2)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        ntlm.SIGNATURE,
        authenticate()[:51],  # shorter than the fixed part
        negotiate(),
        challenge(),
        authenticate().replace(b"NTLMSSP\x00", b"NTLMSSP\x01", 1),
        _patched(authenticate(), 8, "<I", 4),  # an unknown message type
    ],
)
def test_not_an_authenticate(data: bytes) -> None:
    assert ntlm.parse_authenticate(data) is None
    assert ntlm.authenticates(data) == []


@pytest.mark.parametrize(
    ("value", "user"),
    [
        ("NTLM " + base64.b64encode(authenticate()).decode(), "alice"),
        ("ntlm " + base64.b64encode(authenticate()).decode().rstrip("="), "alice"),  # no padding
        ("Negotiate " + base64.b64encode(spnego_resp(authenticate("bob"))).decode(), "bob"),
        ("NTLM " + base64.b64encode(negotiate()).decode(), None),  # the first leg names no one
        ("Basic " + base64.b64encode(b"alice:secret").decode(), None),
        ("NTLM !!!notbase64", None),
        ("NTLM Q", None),  # an impossible base64 length
        ("NTLM", None),
        ("", None),
        (None, None),
    ],
)
def test_from_header(value: str | None, user: str | None) -> None:
    auth = ntlm.from_header(value)
    assert (auth.user if auth else None) == user


@pytest.mark.parametrize(
    ("service", "line", "outcome"),
    [
        ("smtp", b"235 2.7.0 Authentication successful", "success"),
        ("smtp", b"535 5.7.3 Authentication unsuccessful", "failure"),
        ("smtp", b"334 TlRMTVNTUAACAAAA", None),
        ("smtp", b"454 4.7.0 Temporary authentication failure", "unknown"),
        ("pop3", b"+OK Logged in.", "success"),
        ("pop3", b"-ERR [AUTH] Authentication failed.", "failure"),
        ("pop3", b"+ TlRMTVNTUAACAAAA", None),
        ("imap", b"a1 OK AUTHENTICATE completed", "success"),
        ("imap", b"a1 NO [AUTHENTICATIONFAILED] Authentication failed.", "failure"),
        ("imap", b"a1 BAD syntax", "failure"),
        ("imap", b"* CAPABILITY IMAP4rev1", None),
        ("imap", b"+ TlRMTVNTUAACAAAA", None),
        ("imap", b"garbage", "unknown"),
        ("ftp", b"230 ok", "unknown"),
        (None, b"", "unknown"),
    ],
)
def test_reply_outcome(service: str | None, line: bytes, outcome: str | None) -> None:
    assert ntlm.reply_outcome(service, line) == outcome


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, ("success", None)),
        (304, ("success", None)),
        (401, ("failure", "HTTP 401")),
        (407, ("failure", "HTTP 407")),
        (403, ("unknown", None)),
        (500, ("unknown", None)),
        (None, ("unknown", None)),
    ],
)
def test_http_outcome(status: int | None, expected: tuple[str, str | None]) -> None:
    assert ntlm.http_outcome(status) == expected


def test_ntlm_over_udp_is_read_per_datagram(tmp_path: Path) -> None:
    """Connectionless DCE/RPC: two datagrams on an unidentified UDP flow, two logons."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    packets = []
    for i, user in enumerate(["alice", "bob"]):
        pkt = (
            Ether(**MACS)
            / IP(src=CLIENT, dst=SERVER)
            / UDP(sport=1030, dport=1029)
            / (bytes(80) + authenticate(user))
        )
        pkt.time = T0 + Decimal(i) / 10
        packets.append(pkt)
    logons = _by(list(read_events(_write(tmp_path / "udp.pcap", packets))), "sectool.ntlm")
    assert [(e["user.name"], e["event.outcome"], e["network.transport"]) for e in logons] == [
        ("alice", "unknown", "udp"),
        ("bob", "unknown", "udp"),
    ]


def test_in_text_finds_raw_and_base64_messages() -> None:
    data = (
        b"AUTH NTLM\r\n"
        + base64.b64encode(authenticate("carol"))
        + b"\r\n"
        + spnego_resp(authenticate("dave"))
        + b"TlRMTVNTUAAD!!"  # a base64 start that decodes to nothing readable
    )
    assert [auth.user for _, _, auth in ntlm.in_text(data)] == ["carol", "dave"]


def test_parsers_survive_mutations() -> None:
    rng = random.Random(11)  # test data, not cryptography
    samples = [
        authenticate(),
        authenticate(fixed=52, nt=V1),
        spnego_resp(authenticate()),
        _nbss(_smb2_setup(1, spnego_resp(authenticate()))),
        _nbss(_smb1_setup(1, authenticate())),
        _nbss(_smb2_setup(1, b"", response=True, status=0xC000006D)),
    ]
    for _ in range(4000):
        sample = rng.choice(samples)
        data = bytearray(sample[: rng.randrange(len(sample) + 1)])
        for _ in range(rng.randint(0, 6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        raw = bytes(data)
        ntlm.parse_authenticate(raw)
        ntlm.authenticates(raw)
        ntlm.in_text(raw)
        ntlm.from_header(b"NTLM " + base64.b64encode(raw))
        smb.session_setups(raw, 4, len(raw))
        logons = smb.Logons()
        logons.feed([raw, raw], [rng.random() < 0.5, False], 1)
        logons.close()


# -------------------------------------------------------------------------------- SMB builders
def _nbss(message: bytes) -> bytes:
    return b"\x00" + len(message).to_bytes(3, "big") + message


def _smb2_header(command: int, message_id: int, status: int = 0, response: bool = False) -> bytes:
    flags = 1 if response else 0
    return struct.pack(
        "<4sHHIHHIIQIIQ16s",
        b"\xfeSMB",
        64,
        1,
        status,
        command,
        1,
        flags,
        0,
        message_id,
        0,
        0,
        0x1000,
        bytes(16),
    )


def _smb2_setup(message_id: int, blob: bytes, response: bool = False, status: int = 0) -> bytes:
    header = _smb2_header(1, message_id, status, response)
    if response:
        return header + struct.pack("<HHHH", 9, 0, 72, len(blob)) + blob
    return header + struct.pack("<HBBIIHHQ", 25, 0, 1, 1, 0, 88, len(blob), 0) + blob


def _smb2_negotiate(response: bool) -> bytes:
    header = _smb2_header(0, 0, 0, response)
    if response:
        body = struct.pack(
            "<HHHH16sIIIIQQHHI", 65, 1, 0x0210, 0, b"\x22" * 16, 7, 65536, 65536, 65536, 0, 0, 128, 0, 0
        )
        return header + body
    body = struct.pack("<HHHHI16sQ", 36, 2, 1, 0, 0x7F, b"\x11" * 16, 0) + struct.pack("<HH", 0x0202, 0x0210)
    return header + body


def _smb1_setup(
    mid: int, blob: bytes, response: bool = False, status: int = 0, flags2: int = 0xC807
) -> bytes:
    """SMB1 SESSION_SETUP_ANDX with extended security; ``flags2`` without 0x4000: DOS errors."""
    flags = 0x98 if response else 0x18
    header = struct.pack(
        "<4sBIBHH8sHHHHH", b"\xffSMB", 0x73, status, flags, flags2, 0, bytes(8), 0, 0, 0xFEFF, 0, mid
    )
    if response:
        words = struct.pack("<BBBHHH", 4, 0xFF, 0, 0, 0, len(blob))
    else:
        words = struct.pack("<BBBHHHHIHII", 12, 0xFF, 0, 0, 4356, 50, 0, 0, len(blob), 0, 0x800000D4)
    return header + words + struct.pack("<H", len(blob)) + blob


def smb2_logon(auth: bytes, status: int, wrap: bool = True, answer: bool = True) -> list[tuple[bool, bytes]]:
    """Negotiate, session setup with NEGOTIATE / CHALLENGE, then AUTHENTICATE and its answer."""
    wrap_init = spnego_init if wrap else (lambda t: t)
    wrap_resp = spnego_resp if wrap else (lambda t: t)
    out = [
        (True, _nbss(_smb2_negotiate(False))),
        (False, _nbss(_smb2_negotiate(True))),
        (True, _nbss(_smb2_setup(1, wrap_init(negotiate())))),
        (False, _nbss(_smb2_setup(1, wrap_resp(challenge()), response=True, status=0xC0000016))),
        (True, _nbss(_smb2_setup(2, wrap_resp(auth)))),
    ]
    if answer:
        out.append((False, _nbss(_smb2_setup(2, b"", response=True, status=status))))
    return out


def smb1_logon(auth: bytes, status: int, flags2: int = 0xC807) -> list[tuple[bool, bytes]]:
    return [
        (True, _nbss(_smb1_setup(7, spnego_init(negotiate())))),
        (False, _nbss(_smb1_setup(7, spnego_resp(challenge()), response=True, status=0xC0000016))),
        (True, _nbss(_smb1_setup(8, spnego_resp(auth)))),
        (False, _nbss(_smb1_setup(8, b"", response=True, status=status, flags2=flags2))),
    ]


def _compound(*messages: bytes) -> bytes:
    """SMB2 messages chained in one NetBIOS message (``NextCommand``, 8-byte aligned)."""
    out = b""
    for i, message in enumerate(messages):
        if i < len(messages) - 1:
            message += bytes(-len(message) % 8)
            message = message[:20] + struct.pack("<I", len(message)) + message[24:]
        out += message
    return out


def smb2_compound_logon(auth: bytes) -> list[tuple[bool, bytes]]:
    tree = _smb2_header(3, 3, 0, True) + struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x1F01FF)
    answer = _compound(_smb2_setup(2, b"", response=True, status=0), tree)
    return [*smb2_logon(auth, 0)[:5], (False, _nbss(answer))]


def smb2_hostile_length(auth: bytes) -> list[tuple[bool, bytes]]:
    """The AUTHENTICATE in a NetBIOS message that claims 16 MiB: never whole, read at the end."""
    frame = _nbss(_smb2_setup(2, spnego_resp(auth)))
    return [*smb2_logon(auth, 0)[:4], (True, b"\x00\xff\xff\xff" + frame[4:])]


def http_logon(auth: bytes, status: int, scheme: str = "NTLM") -> list[tuple[bool, bytes]]:
    def request(token: bytes | None) -> bytes:
        header = f"Authorization: {scheme} {base64.b64encode(token).decode()}\r\n" if token else ""
        return f"GET /ehr/ HTTP/1.1\r\nHost: intranet.clinic.dk\r\n{header}\r\n".encode()

    def response(code: int, token: bytes | None = None) -> bytes:
        header = f"WWW-Authenticate: {scheme} {base64.b64encode(token).decode()}\r\n" if token else ""
        return f"HTTP/1.1 {code} X\r\n{header}Content-Length: 0\r\n\r\n".encode()

    wrap = (lambda t: spnego_resp(t)) if scheme == "Negotiate" else (lambda t: t)
    return [
        (True, request(None)),
        (False, response(401)),  # asks for NTLM: not a failed logon
        (True, request(spnego_init(negotiate()) if scheme == "Negotiate" else negotiate())),
        (False, response(401, wrap(challenge()))),  # the CHALLENGE: not a failed logon either
        (True, request(wrap(auth))),
        (False, response(status)),
    ]


def smtp_logon(auth: bytes, reply: bytes) -> list[tuple[bool, bytes]]:
    return [
        (False, b"220 mail.clinic.dk ESMTP\r\n"),
        (True, b"EHLO ws17\r\n"),
        (False, b"250-mail.clinic.dk\r\n250 AUTH NTLM\r\n"),
        (True, b"AUTH NTLM " + base64.b64encode(negotiate()) + b"\r\n"),
        (False, b"334 " + base64.b64encode(challenge()) + b"\r\n"),
        (True, base64.b64encode(auth) + b"\r\n"),
        (False, reply),
    ]


def ldap_bind(auth: bytes) -> list[tuple[bool, bytes]]:
    """An LDAP SASL bind (sectool does not identify LDAP): raw NTLMSSP inside BER."""

    def bind(token: bytes) -> bytes:
        sasl = _der(0xA3, _der(0x04, b"GSS-SPNEGO") + _der(0x04, spnego_resp(token)))
        return _der(0x30, _der(0x02, b"\x02") + _der(0x60, _der(0x02, b"\x03") + _der(0x04, b"") + sasl))

    return [(True, bind(negotiate())), (False, bytes(30)), (True, bind(auth)), (False, bytes(20))]


CASES = {
    "smb2 success": (445, smb2_logon(authenticate(), 0)),
    "smb2 logon failure": (445, smb2_logon(authenticate("mallory"), 0xC000006D)),
    "smb2 locked out, raw ntlmssp": (445, smb2_logon(authenticate(), 0xC0000234, wrap=False)),
    "smb2 other status": (445, smb2_logon(authenticate(), 0xC0001234)),
    "smb2 ntlmv1": (445, smb2_logon(authenticate("eve", nt=V1), 0)),
    "smb2 anonymous": (445, smb2_logon(authenticate("", "", nt=b"", lm=b"\x00"), 0)),
    "smb2 no answer": (445, smb2_logon(authenticate(), 0, answer=False)),
    "smb2 on port 139": (139, smb2_logon(authenticate(), 0)),
    "smb2 truncated authenticate": (
        445,
        [*smb2_logon(authenticate(), 0)[:4], (True, _nbss(_smb2_setup(2, authenticate()))[:160])],
    ),
    "smb1 failure": (445, smb1_logon(authenticate("bob"), 0xC000006D)),
    # ERRSRV (2) / ERRbadpw (2) of a server without NT status codes
    "smb1 dos error": (445, smb1_logon(authenticate("bob"), 0x00020002, flags2=0x8807)),
    "smb1 dos success": (445, smb1_logon(authenticate("bob"), 0, flags2=0x8807)),
    "smb2 compound answer": (445, smb2_compound_logon(authenticate())),
    # a wrong password, then the right one on the same connection: both read
    "smb2 two tries": (
        445,
        [
            *smb2_logon(authenticate("alice"), 0xC000006D),
            (True, _nbss(_smb2_setup(3, spnego_resp(authenticate("alice"))))),
            (False, _nbss(_smb2_setup(3, b"", response=True, status=0))),
        ],
    ),
    "smb2 hostile netbios length": (445, smb2_hostile_length(authenticate())),
    "http failure": (80, http_logon(authenticate(), 401)),
    "http success on 8080": (8080, http_logon(authenticate(), 200)),
    "http negotiate redirect": (80, http_logon(authenticate(), 302, "Negotiate")),
    "http server error": (80, http_logon(authenticate(), 500)),
    "smtp failure": (25, smtp_logon(authenticate(), b"535 5.7.3 Authentication unsuccessful\r\n")),
    "smtp success": (587, smtp_logon(authenticate(), b"235 2.7.0 Authentication successful\r\n")),
    "ldap unidentified": (389, ldap_bind(authenticate())),
}
AUTH, NET = "authentication", "network"
EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    # (category, outcome, reason, user, domain, workstation, version, tags)
    "smb2 success": [(AUTH, "success", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "smb2 logon failure": [
        (AUTH, "failure", "STATUS_LOGON_FAILURE", "mallory", "CLINIC", "WS-17", "v2", None)
    ],
    "smb2 locked out, raw ntlmssp": [
        (AUTH, "failure", "STATUS_ACCOUNT_LOCKED_OUT", "alice", "CLINIC", "WS-17", "v2", None)
    ],
    "smb2 other status": [(AUTH, "failure", "0xC0001234", "alice", "CLINIC", "WS-17", "v2", None)],
    "smb2 ntlmv1": [(AUTH, "success", None, "eve", "CLINIC", "WS-17", "v1", ["ntlmv1"])],
    "smb2 anonymous": [(AUTH, "success", None, None, None, "WS-17", None, ["anonymous"])],
    "smb2 no answer": [(NET, "unknown", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "smb2 on port 139": [(AUTH, "success", None, "alice", "CLINIC", "WS-17", "v2", None)],
    # the NetBIOS message is cut off (a lost segment ends the head): what is there is read
    "smb2 truncated authenticate": [(NET, "unknown", None, None, None, None, "v2", None)],
    "smb1 failure": [(AUTH, "failure", "STATUS_LOGON_FAILURE", "bob", "CLINIC", "WS-17", "v2", None)],
    "smb1 dos error": [(AUTH, "failure", "SMB1 error class 2 code 2", "bob", "CLINIC", "WS-17", "v2", None)],
    "smb1 dos success": [(AUTH, "success", None, "bob", "CLINIC", "WS-17", "v2", None)],
    "smb2 compound answer": [(AUTH, "success", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "smb2 two tries": [
        (AUTH, "failure", "STATUS_LOGON_FAILURE", "alice", "CLINIC", "WS-17", "v2", None),
        (AUTH, "success", None, "alice", "CLINIC", "WS-17", "v2", None),
    ],
    "smb2 hostile netbios length": [(NET, "unknown", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "http failure": [(AUTH, "failure", "HTTP 401", "alice", "CLINIC", "WS-17", "v2", None)],
    "http success on 8080": [(AUTH, "success", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "http negotiate redirect": [(AUTH, "success", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "http server error": [(NET, "unknown", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "smtp failure": [
        (AUTH, "failure", "535 5.7.3 Authentication unsuccessful", "alice", "CLINIC", "WS-17", "v2", None)
    ],
    "smtp success": [(AUTH, "success", None, "alice", "CLINIC", "WS-17", "v2", None)],
    "ldap unidentified": [(NET, "unknown", None, "alice", "CLINIC", "WS-17", "v2", None)],
}


def _capture(tmp_path: Path, tcp_exchange: Any, names: list[str]) -> Path:
    packets: list[Any] = []
    for i, name in enumerate(names):
        port, messages = CASES[name]
        packets += tcp_exchange(CLIENT, 50000 + i, SERVER, port, messages, T0 + i)
    return _write(tmp_path / "ntlm.pcap", packets)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ntlm_logons_in_captures(tmp_path: Path, tcp_exchange: Any, name: str) -> None:
    events = list(read_events(_capture(tmp_path, tcp_exchange, [name])))
    logons = _by(events, "sectool.ntlm")
    got = [
        (
            e["event.category"],
            e["event.outcome"],
            e["event.reason"],
            e["user.name"],
            e["user.domain"],
            e["sectool.ntlm.workstation"],
            e["sectool.ntlm.version"],
            e["tags"],
        )
        for e in logons
    ]
    assert got == EXPECTED[name]
    port = CASES[name][0]
    for e in logons:
        assert e["event.action"] == "ntlm-auth"
        assert e["event.type"] == ("start" if e["event.category"] == AUTH else "protocol")
        assert (e["source.ip"], e["destination.ip"], e["destination.port"]) == (CLIENT, SERVER, port)
        assert e["related.user"] == ([e["user.name"]] if e["user.name"] else None)
        assert all(ecs.is_known(key) for key in e)
        # the logon's time is the AUTHENTICATE's packet, within the exchange
        assert T0 <= Decimal(e["@timestamp"].timestamp()) < T0 + len(CASES) + 1
    # the other protocol records and the flow are still there
    flows = _by(events, "sectool.flow")
    assert len(flows) == 1
    if port in (80, 8080):
        assert len(_by(events, "sectool.http")) == 3


def test_ntlm_events_have_distinct_ids_and_survive_a_reread(tmp_path: Path, tcp_exchange: Any) -> None:
    path = _capture(tmp_path, tcp_exchange, sorted(CASES))
    first = [e.doc_id for e in read_events(path)]  # type: ignore[attr-defined]
    again = [e.doc_id for e in read_events(path)]  # type: ignore[attr-defined]
    assert first == again
    assert len(set(first)) == len(first)


def test_a_retransmitted_authenticate_counts_once(tmp_path: Path, tcp_exchange: Any) -> None:
    packets = tcp_exchange(CLIENT, 50000, SERVER, 445, smb2_logon(authenticate(), 0xC000006D), T0)
    again = packets[7].copy()  # the AUTHENTICATE (handshake 3 + 4 messages before it)
    again.time = packets[7].time + Decimal("0.0005")
    path = _write(tmp_path / "re.pcap", [*packets, again])
    assert len(_by(list(read_events(path)), "sectool.ntlm")) == 1


def test_smb_reading_stops_once_a_session_is_set_up() -> None:
    """Right after the session setup reading stops: a file transfer is not read (the speed)."""
    from sectool.traffic.flows import DPI_DONE, Flow
    from sectool.traffic.readers.dpi import Inspector

    flow = Flow(6, bytes([10, 2, 0, 5]), 50000, bytes([10, 2, 0, 9]), 445, 1)
    records: list[tuple[str, dict[str, Any]]] = []
    inspector = Inspector(True, lambda f, ts, ds, n, fields: records.append((ds, fields)), lambda *a: None)
    seq = {True: 1, False: 1}
    for from_client, payload in smb2_logon(authenticate(), 0):
        assert flow.dpi is not DPI_DONE
        inspector.feed(flow, from_client, 1, seq[from_client], payload)
        seq[from_client] += len(payload)
    assert flow.dpi is DPI_DONE
    assert inspector.extractor is None
    assert [(ds, f["event.outcome"]) for ds, f in records] == [("sectool.ntlm", "success")]


def test_test_messages_decode_alike_in_tshark(tmp_path: Path, tcp_exchange: Any, tshark: Any) -> None:
    # tshark reads no NetBIOS message that is cut off or never ends: those cases are sectool's own
    names = [
        n for n in sorted(CASES) if CASES[n][0] in (80, 139, 445) and not ("truncated" in n or "hostile" in n)
    ]
    path = _capture(tmp_path, tcp_exchange, names)
    rows = tshark(
        path,
        ["ntlmssp.auth.username", "ntlmssp.auth.domain", "ntlmssp.auth.hostname"],
        "ntlmssp.messagetype == 3",
    )
    ours = [
        (e["user.name"] or "NULL", e["user.domain"] or "NULL", e["sectool.ntlm.workstation"])
        for e in _by(list(read_events(path)), "sectool.ntlm")
    ]
    assert sorted(tuple(r) for r in rows) == sorted(ours)
    assert len(ours) == sum(len(EXPECTED[n]) for n in names)


def test_failed_ntlm_logons_are_found_as_brute_force(tmp_path: Path, tcp_exchange: Any, capsys: Any) -> None:
    from sectool.cli import main

    packets: list[Any] = []
    for i in range(30):
        auth = authenticate(f"user{i % 3}")
        packets += tcp_exchange(CLIENT, 40000 + i, SERVER, 445, smb2_logon(auth, 0xC000006D), T0 + 2 * i)
    capture = _write(tmp_path / "guess.pcap", packets)
    events = tmp_path / "events.jsonl"
    assert main(["traffic", "ingest", str(capture), "--to", str(events)]) == 0
    failures = [json.loads(line) for line in events.read_text().splitlines()]
    assert sum(1 for e in failures if e.get("event.dataset") == "sectool.ntlm") == 30
    capsys.readouterr()
    assert main(["traffic", "detect", str(events), "--detector", "brute_force", "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [f["detector"] for f in findings] == ["brute_force"]
    assert CLIENT in json.dumps(findings[0])
