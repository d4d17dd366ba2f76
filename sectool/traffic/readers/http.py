"""HTTP/1.x request and response heads from captures (as Zeek's http.log, one event per
transaction).

A message is read from the TCP segment that starts it: the request or status line and the header
lines present in that segment (no stream reassembly; a header that falls into a later segment is
not seen). Lines and header counts are bounded; a segment that does not start like an HTTP
message is not one. Hand-written: the standard library's ``http.client`` parses from a socket
file and raises on the first oddity, and ``h11`` would need the whole stream.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

__all__ = [
    "METHODS",
    "Request",
    "Response",
    "looks_like_request",
    "parse_request",
    "parse_response",
    "request_fields",
    "response_fields",
]

#: Request methods sectool recognises (RFC 9110 and WebDAV); a segment must start with one.
METHODS = frozenset(
    {
        b"GET",
        b"POST",
        b"HEAD",
        b"PUT",
        b"DELETE",
        b"OPTIONS",
        b"PATCH",
        b"CONNECT",
        b"TRACE",
        b"PROPFIND",
        b"PROPPATCH",
        b"MKCOL",
        b"COPY",
        b"MOVE",
        b"LOCK",
        b"UNLOCK",
        b"SEARCH",
        b"REPORT",
    }
)
_FIRST = frozenset(m[:3] for m in METHODS)
_REQUEST_LINE = re.compile(rb"([A-Z]{3,9}) ([\x21-\x7e]{1,8000}) HTTP/([01]\.[0-9])\r?$")
_STATUS_LINE = re.compile(rb"HTTP/([01]\.[0-9]) ([1-5][0-9][0-9])(?: [^\r\n]*)?\r?$")
_MAX_HEAD = 16_384
_MAX_HEADERS = 100
#: Headers kept. ``Authorization`` only for the NTLM logon in it (:mod:`.ntlm`): no header value
#: that may hold a credential (Basic, a bearer token) ever becomes an event field.
_KEEP = frozenset(
    {
        b"host",
        b"user-agent",
        b"referer",
        b"content-length",
        b"content-type",
        b"authorization",
        b"proxy-authorization",
    }
)


class Request(NamedTuple):
    """A request head."""

    method: str
    target: str
    version: str
    headers: dict[str, str]


class Response(NamedTuple):
    """A response head."""

    version: str
    status: int
    headers: dict[str, str]


def looks_like_request(data: bytes) -> bool:
    """Cheap test: does ``data`` start with a known method and a space?"""
    if data[:3] not in _FIRST:
        return False
    space = data.find(b" ", 0, 10)
    return space > 0 and data[:space] in METHODS


def _head(data: bytes) -> tuple[bytes, list[bytes]]:
    block = data[:_MAX_HEAD]
    end = block.find(b"\r\n\r\n")
    if end >= 0:
        block = block[:end]
    lines = block.split(b"\n")
    return lines[0], lines[1 : _MAX_HEADERS + 1]


def _headers(lines: list[bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key = name.strip().lower()
        if key in _KEEP and key.decode("ascii", "replace") not in out:
            out[key.decode("ascii", "replace")] = value.strip().decode("utf-8", "backslashreplace")
    return out


def parse_request(data: bytes) -> Request | None:
    """The request head at the start of ``data``, ``None`` when it is not one."""
    if not looks_like_request(data):
        return None
    first, lines = _head(data)
    match = _REQUEST_LINE.match(first)
    if match is None or match.group(1) not in METHODS:
        return None
    method, target, version = (g.decode("ascii") for g in match.groups())
    return Request(method, target, version, _headers(lines))


def parse_response(data: bytes) -> Response | None:
    """The response head at the start of ``data``, ``None`` when it is not one."""
    if not data.startswith(b"HTTP/"):
        return None
    first, lines = _head(data)
    match = _STATUS_LINE.match(first)
    if match is None:
        return None
    return Response(match.group(1).decode("ascii"), int(match.group(2)), _headers(lines))


def _length(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 16 else None


def _host(host: str) -> tuple[str | None, int | None]:
    """``Host`` header -> (name, port); an IPv6 literal comes without its brackets."""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None, None
        name, rest = host[1:end], host[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.partition(":")
    number = int(port) if port.isdigit() and len(port) <= 5 and int(port) < 65536 else None
    return name or None, number


def _without_credentials(target: str) -> str:
    """A request target without ``user:password@`` in an absolute-form authority (a proxy
    request): credentials are never indexed."""
    scheme, sep, rest = target.partition("://")
    if not sep:
        return target
    end = len(rest)
    for stop in "/?#":
        at = rest.find(stop)
        if at >= 0:
            end = min(end, at)
    authority = rest[:end]
    if "@" not in authority:
        return target
    return f"{scheme}://{authority.rsplit('@', 1)[1]}{rest[end:]}"


def request_fields(req: Request) -> dict[str, Any]:
    """ECS fields of a request head."""
    domain, port = _host(req.headers.get("host") or "")
    path, _, query = req.target.partition("?")
    if "://" in path:  # absolute form (a proxy request): the path after the authority
        after = path.split("://", 1)[1]
        slash = after.find("/")
        path = after[slash:] if slash >= 0 else "/"
    return {
        "http.request.method": req.method,
        "http.version": req.version,
        "url.original": _without_credentials(req.target),
        "url.path": path or None,
        "url.query": query or None,
        "url.domain": domain,
        "url.port": port,
        "user_agent.original": req.headers.get("user-agent"),
        "http.request.referrer": req.headers.get("referer"),
        "http.request.body.bytes": _length(req.headers.get("content-length")),
    }


def response_fields(resp: Response) -> dict[str, Any]:
    """ECS fields of a response head."""
    mime = resp.headers.get("content-type")
    return {
        "http.response.status_code": resp.status,
        "http.response.mime_type": mime.split(";", 1)[0].strip().lower() or None if mime else None,
        "http.response.body.bytes": _length(resp.headers.get("content-length")),
        "http.version": resp.version,
    }
