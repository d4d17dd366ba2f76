"""TLS handshakes from captures: ClientHello (SNI, JA3, JA4) and ServerHello (version, cipher,
JA3S), parsed from the cleartext handshake records.

Hand-written and bounded: every length is checked against the bytes present, and a malformed or
incomplete message yields ``None`` (it is simply not extracted), never an exception. dpkt's
``ssl`` module could parse the records, but it raises on the first inconsistency, needs the
extensions decoded again for JA4 anyway, and would add a dependency for about 100 lines.

* **JA3** (Salesforce): ``version,ciphers,extensions,groups,point_formats`` in decimal, GREASE
  values (RFC 8701) removed, MD5 in hex.
* **JA4** (FoxIO, https://github.com/FoxIO-LLC/ja4, ``JA4.md``): ``t13d1516h2_<ciphers>_<exts>``:
  transport (``t``: TCP; QUIC is not read), the highest offered version (``supported_versions``,
  else the ClientHello version), ``d``/``i`` (SNI present or not), cipher and extension counts
  (GREASE removed, at most 99), the first and last character of the first ALPN value (``00``
  without ALPN; the hex digits when a character is not alphanumeric); then the first 12 hex
  digits of SHA-256 over the sorted cipher list and over the sorted extensions without SNI and
  ALPN, ``_``, the signature algorithms in their order (``000000000000`` for an empty list).
* **JA3S**: ``version,cipher,extensions`` of the ServerHello, MD5.
"""

from __future__ import annotations

import hashlib
import struct
from typing import NamedTuple

__all__ = [
    "CIPHERS",
    "ClientHello",
    "ServerHello",
    "is_handshake",
    "ja3",
    "ja4",
    "parse_client_hello",
    "parse_server_hello",
    "record_length",
    "version_name",
]

_U16 = struct.Struct("!H").unpack_from

#: IANA names of the cipher suites seen in practice (``tls.cipher``); others are ``0x<hex>``.
CIPHERS: dict[int, str] = {
    0x0004: "TLS_RSA_WITH_RC4_128_MD5",
    0x0005: "TLS_RSA_WITH_RC4_128_SHA",
    0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
    0x0033: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
    0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
    0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
    0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256",
    0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
    0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
    0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
    0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    0xC011: "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCAA: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

#: Named groups (``tls.curve``), IANA names.
GROUPS: dict[int, str] = {
    23: "secp256r1",
    24: "secp384r1",
    25: "secp521r1",
    29: "x25519",
    30: "x448",
    256: "ffdhe2048",
    257: "ffdhe3072",
    0x11EC: "X25519MLKEM768",
    0x6399: "X25519Kyber768Draft00",
}

_VERSIONS = {0x0304: "1.3", 0x0303: "1.2", 0x0302: "1.1", 0x0301: "1.0", 0x0300: "3.0"}
_JA4_VERSIONS = {
    0x0304: "13",
    0x0303: "12",
    0x0302: "11",
    0x0301: "10",
    0x0300: "s3",
    0x0002: "s2",
    0xFEFF: "d1",
    0xFEFD: "d2",
    0xFEFC: "d3",
}
_MAX_RECORD = 5 + 16_384 + 2_048  # a record's header, the plaintext limit and the expansion


class ClientHello(NamedTuple):
    """What sectool keeps of a ClientHello (lists keep their order on the wire, GREASE included)."""

    version: int
    ciphers: list[int]
    extensions: list[int]
    groups: list[int]
    point_formats: list[int]
    signature_algorithms: list[int]
    supported_versions: list[int]
    alpn: list[bytes]
    server_name: str | None


class ServerHello(NamedTuple):
    """What sectool keeps of a ServerHello."""

    version: int
    selected_version: int | None
    cipher: int
    extensions: list[int]
    alpn: str | None
    group: int | None


def _grease(value: int) -> bool:
    return value & 0x0F0F == 0x0A0A and value >> 8 == value & 0xFF


def version_name(version: int) -> str | None:
    """``1.2`` for 0x0303 (``tls.version``); ``None`` for values that are not TLS versions."""
    return _VERSIONS.get(version)


def is_handshake(data: bytes, msg_type: int) -> bool:
    """Does ``data`` start with a TLS handshake record holding a message of ``msg_type``?"""
    return len(data) >= 6 and data[0] == 22 and data[1] == 3 and data[2] <= 4 and data[5] == msg_type


def record_length(data: bytes) -> int | None:
    """Bytes of the first record (header included), ``None`` when its header is not plausible."""
    if len(data) < 5:
        return None
    size = 5 + _U16(data, 3)[0]
    return size if size <= _MAX_RECORD else None


def _u16_list(data: bytes, start: int, end: int) -> list[int]:
    return [_U16(data, i)[0] for i in range(start, end - 1, 2)]


def _handshake(data: bytes, msg_type: int) -> tuple[int, int] | None:
    """(start, end) of the body of the first handshake message, if whole and of ``msg_type``."""
    if not is_handshake(data, msg_type):
        return None
    rec_end = record_length(data)
    if rec_end is None or rec_end > len(data) or rec_end < 9:
        return None
    size = int.from_bytes(data[6:9], "big")
    if 9 + size > rec_end:
        return None  # the message continues in another record: not reassembled
    return 9, 9 + size


def _extensions(data: bytes, pos: int, end: int) -> list[tuple[int, int, int]] | None:
    """(type, start, end) of each extension in ``data[pos:end]`` (a 2-byte total length first)."""
    if pos == end:
        return []
    if pos + 2 > end:
        return None
    total = _U16(data, pos)[0]
    pos += 2
    if pos + total > end:
        return None
    stop = pos + total
    out = []
    while pos + 4 <= stop:
        etype, elen = struct.unpack_from("!HH", data, pos)
        pos += 4
        if pos + elen > stop:
            return None
        out.append((etype, pos, pos + elen))
        pos += elen
    return out


def parse_client_hello(data: bytes) -> ClientHello | None:
    """The ClientHello at the start of ``data`` (a TLS record), ``None`` if malformed or cut off."""
    try:
        return _client_hello(data)
    except (IndexError, struct.error, ValueError):  # defensive: every length is checked first
        return None


def _client_hello(data: bytes) -> ClientHello | None:
    span = _handshake(data, 1)
    if span is None:
        return None
    pos, end = span
    if pos + 35 > end:
        return None
    version = _U16(data, pos)[0]
    pos += 34
    pos += 1 + data[pos]  # session id
    if pos + 2 > end:
        return None
    clen = _U16(data, pos)[0]
    if clen % 2 or pos + 2 + clen > end:
        return None
    ciphers = _u16_list(data, pos + 2, pos + 2 + clen)
    pos += 2 + clen
    if pos >= end:
        return None
    pos += 1 + data[pos]  # compression methods
    if pos > end:
        return None
    exts = _extensions(data, pos, end)
    if exts is None:
        return None
    groups: list[int] = []
    formats: list[int] = []
    sigs: list[int] = []
    versions: list[int] = []
    alpn: list[bytes] = []
    server_name = None
    for etype, start, stop in exts:
        if etype == 0 and stop - start >= 5 and data[start + 2] == 0:
            size = _U16(data, start + 3)[0]
            raw = data[start + 5 : start + 5 + size]
            if len(raw) == size:
                server_name = raw.decode("ascii", "backslashreplace")
        elif etype == 10 and stop - start >= 2:
            groups = _u16_list(data, start + 2, min(stop, start + 2 + _U16(data, start)[0]))
        elif etype == 11 and stop - start >= 1:
            formats = list(data[start + 1 : min(stop, start + 1 + data[start])])
        elif etype == 13 and stop - start >= 2:
            sigs = _u16_list(data, start + 2, min(stop, start + 2 + _U16(data, start)[0]))
        elif etype == 43 and stop - start >= 1:
            versions = _u16_list(data, start + 1, min(stop, start + 1 + data[start]))
        elif etype == 16 and stop - start >= 2:
            i, last = start + 2, min(stop, start + 2 + _U16(data, start)[0])
            while i < last:
                n = data[i]
                alpn.append(bytes(data[i + 1 : min(last, i + 1 + n)]))
                i += 1 + n
    return ClientHello(
        version, ciphers, [e[0] for e in exts], groups, formats, sigs, versions, alpn, server_name
    )


def parse_server_hello(data: bytes) -> ServerHello | None:
    """The ServerHello at the start of ``data``, ``None`` if malformed or cut off."""
    try:
        return _server_hello(data)
    except (IndexError, struct.error, ValueError):
        return None


def _server_hello(data: bytes) -> ServerHello | None:
    span = _handshake(data, 2)
    if span is None:
        return None
    pos, end = span
    if pos + 35 > end:
        return None
    version = _U16(data, pos)[0]
    pos += 34
    pos += 1 + data[pos]
    if pos + 3 > end:
        return None
    cipher = _U16(data, pos)[0]
    pos += 3  # cipher suite, compression method
    exts = _extensions(data, pos, end)
    if exts is None:
        return None
    selected = group = None
    alpn = None
    for etype, start, stop in exts:
        if etype == 43 and stop - start == 2:
            selected = _U16(data, start)[0]
        elif etype == 51 and stop - start >= 2:
            group = _U16(data, start)[0]
        elif etype == 16 and stop - start >= 3:
            n = data[start + 2]
            alpn = bytes(data[start + 3 : start + 3 + n]).decode("ascii", "backslashreplace")
    return ServerHello(version, selected, cipher, [e[0] for e in exts], alpn, group)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def ja3(hello: ClientHello) -> tuple[str, str]:
    """(JA3 string, its MD5) of a ClientHello."""

    def join(values: list[int]) -> str:
        return "-".join(str(v) for v in values if not _grease(v))

    text = ",".join(
        (
            str(hello.version),
            join(hello.ciphers),
            join(hello.extensions),
            join(hello.groups),
            "-".join(str(v) for v in hello.point_formats),
        )
    )
    return text, _md5(text)


def ja3s(hello: ServerHello) -> tuple[str, str]:
    """(JA3S string, its MD5) of a ServerHello."""
    text = f"{hello.version},{hello.cipher},{'-'.join(str(e) for e in hello.extensions)}"
    return text, _md5(text)


def _alnum(byte: int) -> bool:
    return 48 <= byte <= 57 or 65 <= byte <= 90 or 97 <= byte <= 122


def _hash12(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else "000000000000"


def ja4(hello: ClientHello, transport: str = "t") -> str:
    """The JA4 fingerprint of a ClientHello (module docstring)."""
    versions = [v for v in hello.supported_versions if not _grease(v)]
    version = _JA4_VERSIONS.get(max(versions) if versions else hello.version, "00")
    ciphers = [c for c in hello.ciphers if not _grease(c)]
    exts = [e for e in hello.extensions if not _grease(e)]
    first = hello.alpn[0] if hello.alpn else b""
    if not first:
        alpn = "00"
    elif _alnum(first[0]) and _alnum(first[-1]):
        alpn = chr(first[0]) + chr(first[-1])
    else:
        alpn = first[:1].hex()[0] + first[-1:].hex()[-1]
    head = (
        f"{transport}{version}{'d' if 0 in exts else 'i'}"
        f"{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}{alpn}"
    )
    cipher_text = ",".join(sorted(f"{c:04x}" for c in ciphers))
    ext_text = ",".join(sorted(f"{e:04x}" for e in exts if e not in (0, 16)))
    sigs = [s for s in hello.signature_algorithms if not _grease(s)]
    if sigs and ext_text:
        ext_text += "_" + ",".join(f"{s:04x}" for s in sigs)
    return f"{head}_{_hash12(cipher_text)}_{_hash12(ext_text)}"
