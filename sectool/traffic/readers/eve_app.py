"""The ``http`` and ``tls`` objects of an EVE record -> ECS ``http.*``, ``url.*``, ``tls.*``.

They are mapped wherever they appear: in ``http``/``tls`` records, and in the alerts and
``fileinfo`` records that carry the transaction they belong to (as Filebeat's pipeline does).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sectool.traffic.readers.eve_record import Source

__all__ = ["map_http", "map_tls"]

#: ``TLSv1.2`` / ``TLS 1.3`` / ``SSLv3`` -> protocol and version (Filebeat's two grok patterns).
_TLS_VERSION = re.compile(r"^(.*?)v(.+)$|^(\S+) (.+)$")


def _related(event: dict[str, Any], field: str, value: str | None) -> None:
    if value:
        values = event.setdefault(field, [])
        if value not in values:
            values.append(value)


def map_http(src: Source, event: dict[str, Any], etype: str) -> None:
    """HTTP request and response fields; ``event.outcome`` from the status for ``http`` records."""
    if src.obj("http") is None:
        return
    host = src.text("http.hostname")
    if host:
        event["destination.domain"] = event["url.domain"] = host
        _related(event, "related.hosts", host)
    url = src.text("http.url")
    if url:
        event["url.original"] = url
        if url.startswith("/"):
            rest, _, _fragment = url.partition("#")
            path, _, query = rest.partition("?")
            event["url.path"], event["url.query"] = path, query or None
        elif "://" in url:
            try:
                parts = urlsplit(url)
            except ValueError:  # e.g. a bad IPv6 literal: url.original still holds it
                parts = None
            if parts is not None:
                event["url.path"], event["url.query"] = parts.path or None, parts.query or None
    event["url.port"] = src.port("http.http_port")
    event["user_agent.original"] = src.text("http.http_user_agent")
    event["http.request.method"] = src.text("http.http_method")
    event["http.request.referrer"] = src.text("http.http_refer")
    event["http.response.body.bytes"] = src.count("http.length")
    status = src.integer("http.status", 0, 999, "an HTTP status code 0..999")
    event["http.response.status_code"] = status
    protocol = src.text("http.protocol")
    if protocol and protocol.upper().startswith("HTTP/"):
        event["http.version"] = protocol[5:]
    else:
        src.used.discard("http.protocol")  # not a version: keep it as Suricata wrote it
    if etype == "http" and status is not None:
        event["event.outcome"] = "success" if status < 400 else "failure"


def map_tls(src: Source, event: dict[str, Any]) -> None:
    """TLS handshake fields: version, SNI, JA3/JA3S/JA4, the server certificate."""
    if src.obj("tls") is None:
        return
    version = src.text("tls.version")
    if version and version != "UNDETERMINED":
        match = _TLS_VERSION.match(version)
        if match:
            proto = match.group(1) if match.group(1) is not None else match.group(3)
            event["tls.version_protocol"] = proto.lower() or None
            event["tls.version"] = match.group(2) if match.group(2) is not None else match.group(4)
    sni = src.text("tls.sni")
    if sni:
        sni = sni.removesuffix(".")
        event["tls.client.server_name"] = event["destination.domain"] = sni
        _related(event, "related.hosts", sni)
    event["tls.server.subject"] = src.text("tls.subject")
    event["tls.server.issuer"] = src.text("tls.issuerdn")
    fingerprint = src.text("tls.fingerprint")
    if fingerprint:
        event["tls.server.hash.sha1"] = fingerprint.replace(":", "").upper()
        _related(event, "related.hash", event["tls.server.hash.sha1"])
    event["tls.server.not_before"] = src.time("tls.notbefore")
    event["tls.server.not_after"] = src.time("tls.notafter")
    event["tls.resumed"] = src.flag("tls.session_resumed")
    for field, path in (("tls.client.ja3", "tls.ja3.hash"), ("tls.server.ja3s", "tls.ja3s.hash")):
        event[field] = src.text(path)
        _related(event, "related.hash", event[field])
    # Suricata 7.0.x writes ``ja4`` as text; keep an object form (``{"hash": ...}``) working too.
    ja4 = src.obj("tls.ja4") if isinstance(src.rec["tls"].get("ja4"), dict) else None
    event["tls.client.ja4"] = src.text("tls.ja4.hash") if ja4 is not None else src.text("tls.ja4")
    alpns = src.rec["tls"].get("server_alpns")
    if isinstance(alpns, list) and alpns and isinstance(alpns[0], str):
        event["tls.next_protocol"] = alpns[0].lower()
    if src.obj("tls.client") is not None:
        event["tls.client.subject"] = src.text("tls.client.subject")
        event["tls.client.issuer"] = src.text("tls.client.issuerdn")
